"""The curated public surface of pactshare.seal and its layering."""

from __future__ import annotations

import ast
from pathlib import Path

import pactshare.errors
import pactshare.seal

SEAL_DIR = Path(pactshare.seal.__file__).parent


def _isort_order(name: str) -> tuple[bool, bool, str]:
    """The order ruff (RUF022) keeps ``__all__`` in: constants, then classes, then functions."""
    return (not name.isupper(), not name[0].isupper(), name)


def test_seal_exports_a_sorted_all_of_existing_names() -> None:
    names = pactshare.seal.__all__
    assert names == sorted(names, key=_isort_order)
    assert all(hasattr(pactshare.seal, n) for n in names)


def test_errors_export_a_sorted_all_with_every_envelope_error() -> None:
    names = pactshare.errors.__all__
    assert names == sorted(names, key=_isort_order)
    for name in ("EnvelopeError", "EnvelopeKeyError", "EnvelopeUnverifiedError"):
        assert issubclass(getattr(pactshare.errors, name), pactshare.errors.PactshareError)


def test_seal_imports_nothing_of_ours_but_its_leaves_and_itself() -> None:
    for path in SEAL_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                module = node.module
            elif isinstance(node, ast.Import):
                module = node.names[0].name
            else:
                continue
            if module.startswith("pactshare"):
                assert module in (
                    "pactshare.errors",
                    "pactshare.limits",
                    "pactshare.defaults",
                    "pactshare.canonical",
                    "pactshare.files",
                ) or module.startswith("pactshare.seal"), f"{path.name} imports {module}"
