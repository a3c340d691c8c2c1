"""Every frozen dataclass in pactshare is slotted: records are values, with no ``__dict__``
to hang unchecked attributes on (a cache is a declared field, excluded from comparison)."""

from __future__ import annotations

import ast
from pathlib import Path

import pactshare

SRC = Path(pactshare.__file__).parent


def _unslotted_frozen(source: str) -> list[str]:
    """The classes of ``source`` decorated ``@dataclass(frozen=True)`` without ``slots=True``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        for decorator in node.decorator_list:
            if not (
                isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "dataclass"
            ):
                continue
            options = {k.arg: k.value for k in decorator.keywords}
            frozen = options.get("frozen")
            slots = options.get("slots")
            if (
                isinstance(frozen, ast.Constant)
                and frozen.value is True
                and not (isinstance(slots, ast.Constant) and slots.value is True)
            ):
                found.append(node.name)
    return found


def test_every_frozen_dataclass_is_slotted() -> None:
    offenders = [
        f"{path.relative_to(SRC)}: {name}"
        for path in sorted(SRC.rglob("*.py"))
        for name in _unslotted_frozen(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_an_unslotted_frozen_dataclass_is_caught() -> None:
    planted = "@dataclass(frozen=True)\nclass Loose:\n    x: int\n"
    assert _unslotted_frozen(planted) == ["Loose"]
    assert _unslotted_frozen(planted.replace("frozen=True", "frozen=True, slots=True")) == []
