"""The federation's SQL lives in ``pactshare.federation.storage`` only: the protocol modules
hold a caller's transaction (``sqlalchemy.Connection``) but build no query and import no
table, and the federation's HTTP face imports neither SQLAlchemy nor ``pactshare.store``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pactshare

SRC = Path(pactshare.__file__).parent
FEDERATION = SRC / "federation"
STORAGE = FEDERATION / "storage"


def _imports(source: str) -> set[str]:
    """Every module (``import m``) and ``m.name`` (``from m import name``) that ``source``
    imports, wherever it stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _storage_leaks(source: str, *, transaction_allowed: bool) -> set[str]:
    """The imports by which ``source`` would reach the database itself."""
    allowed = {"sqlalchemy.Connection"} if transaction_allowed else set()
    return {
        name
        for name in _imports(source)
        if (name == "sqlalchemy" or name.startswith(("sqlalchemy.", "pactshare.store")))
        and name not in allowed
    }


@pytest.mark.parametrize(
    "path",
    sorted(p for p in FEDERATION.rglob("*.py") if STORAGE not in p.parents),
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_federation_modules_reach_the_database_only_through_its_storage(path: Path) -> None:
    leaks = _storage_leaks(path.read_text(encoding="utf-8"), transaction_allowed=True)
    assert not leaks, f"{path.name} imports {sorted(leaks)}: move the SQL to federation/storage"


def test_the_federation_endpoint_only_maps() -> None:
    source = (SRC / "api" / "federation.py").read_text(encoding="utf-8")
    assert not _storage_leaks(source, transaction_allowed=False)


@pytest.mark.parametrize(
    "planted",
    [
        "from sqlalchemy import select",
        "from sqlalchemy import Connection, insert",
        "import sqlalchemy",
        "from pactshare.store.schema import outbox",
        "from pactshare.store import schema",
        "def f() -> None:\n    from pactshare.store import schema",
    ],
)
def test_a_planted_query_import_is_caught(planted: str) -> None:
    assert _storage_leaks(planted, transaction_allowed=True)
    assert _storage_leaks(planted, transaction_allowed=False)
