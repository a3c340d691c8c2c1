"""Dependencies point inward only (DESIGN.md): the domain imports nothing of ours but errors
and limits (the bounds of outside input, defined once)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pactshare

SRC = Path(pactshare.__file__).parent

# What each layer may import from pactshare (besides itself, pactshare.errors, limits and
# defaults: leaf modules that import nothing else of ours).
ALLOWED = {
    "audit": {"domain"},
    "domain": set(),
    "scenarios": {"domain"},
    "store": set(),
    "seal": set(),
    "cedar": {"domain"},
    "node": {"domain", "scenarios", "store", "seal", "audit"},
    "federation": {"domain", "scenarios", "store", "seal", "audit", "node"},
    "api": {"domain", "scenarios", "store", "seal", "audit", "node", "federation"},
    "web": {"domain", "scenarios", "store", "seal", "audit", "node", "federation", "api"},
    "server": {"domain", "scenarios", "store", "seal", "audit", "node", "federation", "api", "web"},
    "demo": {"domain", "scenarios", "store", "node", "federation", "server"},
    "cli": {
        "domain",
        "scenarios",
        "store",
        "seal",
        "audit",
        "cedar",
        "node",
        "federation",
        "api",
        "web",
        "server",
        "demo",
    },
}


def _our_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "pactshare" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_inner_layers(layer: str) -> None:
    for path in sorted((SRC / layer).rglob("*.py")):
        imported = _our_imports(path) - {layer, "errors", "limits", "defaults"}
        assert imported <= ALLOWED[layer], (
            f"{path.relative_to(SRC)} imports {imported - ALLOWED[layer]}"
        )


def test_every_layer_is_covered_by_the_rule() -> None:
    layers = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert layers <= set(ALLOWED), f"add a layering rule for {layers - set(ALLOWED)}"
