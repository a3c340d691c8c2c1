"""Dependencies point inward only (docs/architecture.md): the domain imports nothing of ours
but errors, limits (the bounds of outside input, defined once) and canonical (RFC 8785 JSON);
the faces (api, web, cli, demo) only map the node's records, so they import neither the store
nor SQLAlchemy."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import pactshare

SRC = Path(pactshare.__file__).parent

# What each layer may import from pactshare (besides itself, pactshare.errors, limits,
# defaults, canonical and files: leaf modules that import nothing else of ours).
ALLOWED = {
    "audit": {"domain"},
    "domain": set(),
    "scenarios": {"domain"},
    "store": set(),
    "seal": set(),
    "cedar": {"domain"},
    "proofs": {"domain"},
    "node": {"domain", "scenarios", "store", "seal", "audit"},
    "federation": {"domain", "scenarios", "store", "seal", "audit", "node"},
    "api": {"domain", "scenarios", "seal", "audit", "node", "federation"},
    "web": {"domain", "scenarios", "seal", "audit", "node", "federation", "api"},
    "server": {"domain", "scenarios", "store", "seal", "audit", "node", "federation", "api", "web"},
    "demo": {"domain", "scenarios", "node", "federation", "server"},
    "cli": {
        "domain",
        "scenarios",
        "seal",
        "audit",
        "cedar",
        "proofs",
        "node",
        "federation",
        "api",
        "web",
        "server",
        "demo",
    },
}


FACES = ("api", "cli", "demo", "web")


def _absolute(node: ast.ImportFrom, module: tuple[str, ...]) -> str:
    """The absolute module a ``from`` import names, relative forms resolved against
    ``module`` (the importing module's dotted path; a package's is its ``__init__``)."""
    if node.level == 0:
        return node.module or ""
    base = module[: len(module) - node.level]
    return ".".join((*base, node.module) if node.module else base)


def _our_imports(path: Path) -> set[str]:
    """The top-level parts of pactshare that ``path`` imports, in every form: ``import
    pactshare.x``, ``from pactshare.x import y``, ``from pactshare import x`` and relative
    imports (``from . import x``, ``from ..x import y``), wherever they stand."""
    module = ("pactshare", *path.relative_to(SRC).with_suffix("").parts)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            parts = _absolute(node, module).split(".")
            if parts[0] != "pactshare":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from pactshare import x: each name is a part of ours
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "pactshare" and len(parts) > 1:
                    found.add(parts[1])
    return found - {"__version__"}


def _imports_sqlalchemy(path: Path) -> bool:
    """Whether ``path`` imports SQLAlchemy, in any form and wherever it stands."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        if any(name.split(".")[0] == "sqlalchemy" for name in names):
            return True
    return False


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_inner_layers(layer: str) -> None:
    """Each layer's rule, but a face's store imports: those are the next test's."""
    leaves = {"errors", "limits", "defaults", "canonical", "files"}
    for path in sorted((SRC / layer).rglob("*.py")):
        imported = _our_imports(path) - {layer, *leaves}
        if layer in FACES:
            imported -= {"store"}
        assert imported <= ALLOWED[layer], (
            f"{path.relative_to(SRC)} imports {imported - ALLOWED[layer]}"
        )


@pytest.mark.parametrize("face", FACES)
def test_a_face_imports_neither_the_store_nor_sqlalchemy(face: str) -> None:
    for path in sorted((SRC / face).rglob("*.py")):
        where = path.relative_to(SRC)
        assert "store" not in _our_imports(path), f"{where} imports the store"
        assert not _imports_sqlalchemy(path), f"{where} imports SQLAlchemy"


def test_every_layer_is_covered_by_the_rule() -> None:
    layers = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert layers <= set(ALLOWED), f"add a layering rule for {layers - set(ALLOWED)}"


@pytest.mark.parametrize(
    "planted",
    [
        "from pactshare import store\n",
        "from pactshare.store import Database\n",
        "import pactshare.store.database\n",
        "from ..store import Database\n",
        "from .. import store\n",
        "def later() -> None:\n    from pactshare import node  # noqa\n",
    ],
)
def test_the_rule_catches_a_planted_import_in_every_form(
    planted: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A domain module importing the store, written each way a module can be imported."""
    (tmp_path / "domain").mkdir()
    planted_module = tmp_path / "domain" / "planted.py"
    planted_module.write_text(planted, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    assert _our_imports(planted_module) - ALLOWED["domain"] in ({"store"}, {"node"})


@pytest.mark.parametrize(
    "planted",
    [
        "from sqlalchemy import select\n",
        "import sqlalchemy\n",
        "import sqlalchemy.engine\n",
        "def later() -> None:\n    from sqlalchemy.orm import Session  # noqa\n",
    ],
)
def test_the_rule_catches_a_face_importing_sqlalchemy(planted: str, tmp_path: Path) -> None:
    planted_module = tmp_path / "planted.py"
    planted_module.write_text(planted, encoding="utf-8")
    assert _imports_sqlalchemy(planted_module)


def test_a_face_may_name_sqlalchemy_without_importing_it(tmp_path: Path) -> None:
    planted_module = tmp_path / "planted.py"
    planted_module.write_text('"""Not sqlalchemy."""\nfrom pactshare import node\n', "utf-8")
    assert not _imports_sqlalchemy(planted_module)
