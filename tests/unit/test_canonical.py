"""Canonical JSON: RFC 8785's own examples, every escape, the integer bounds, and which values
the fast path takes (the rest go to the ``rfc8785`` library, errors included)."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from enum import IntEnum, StrEnum
from pathlib import Path
from types import MappingProxyType
from unittest import mock

import pytest
import rfc8785

from pactshare import canonical
from tests.unit.test_layering import _our_imports


@pytest.fixture
def library() -> Iterator[mock.Mock]:
    """The library's ``dumps`` as :mod:`pactshare.canonical` sees it, counting calls."""
    with mock.patch.object(canonical, "rfc8785", wraps=rfc8785) as wrapped:
        yield wrapped.dumps


def test_the_rfc_sorting_example_puts_an_astral_key_before_u_fb33(library: mock.Mock) -> None:
    # RFC 8785 section 3.2.3: UTF-16 order puts U+1F600 (D83D DE00) before U+FB33, where code
    # point order (Python's sort) would not, so this object goes to the library.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    ).encode()
    assert canonical.dumps(value) == expected
    assert library.called


def test_the_rfc_example_with_numbers_goes_to_the_library(library: mock.Mock) -> None:
    # RFC 8785 section 3.2.2 (floats are never on the fast path).
    value = json.loads(
        '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],'
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        '"literals":[null,true,false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    ).encode()
    assert canonical.dumps(value) == expected
    assert library.called


def test_controls_quote_and_backslash_are_escaped_as_rfc_8785_says(library: mock.Mock) -> None:
    short = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
    for point in range(0x20):
        escape = short.get(point, f"\\u{point:04x}")
        assert canonical.dumps(chr(point)) == f'"{escape}"'.encode()
    assert canonical.dumps('"\\') == b'"\\"\\\\"'
    assert not library.called


def test_nothing_else_is_escaped_not_even_slash_del_or_line_separators(
    library: mock.Mock,
) -> None:
    text = "/\x7f\x80\u2028\u2029\ud7ff\ue000\uffff\U00010000\U0010ffff"
    assert canonical.dumps(text) == b'"' + text.encode() + b'"'
    assert not library.called


def test_every_character_is_written_as_the_library_writes_it() -> None:
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert canonical.dumps(every) == rfc8785.dumps(every)
    for point in range(0x800):  # each one apart, where escapes live
        assert canonical.dumps(chr(point)) == rfc8785.dumps(chr(point))


@pytest.mark.parametrize("value", [2**53 - 1, -(2**53) + 1, 0, -1, True, False, None])
def test_exact_integers_booleans_and_null_take_the_fast_path(
    value: object, library: mock.Mock
) -> None:
    assert canonical.dumps([value]) == rfc8785.dumps([value])  # type: ignore[list-item]
    assert not library.called


@pytest.mark.parametrize(
    "value",
    [
        2**53,
        -(2**53),
        float("nan"),
        float("inf"),
        "\ud800",
        {"\udfff": 1},
        {1: "one"},
        {None: 1},
        MappingProxyType({}),
        b"bytes",
        {1.5},
    ],
    ids=repr,
)
def test_what_the_library_refuses_is_refused_with_its_own_error(value: object) -> None:
    with pytest.raises((ValueError, TypeError)) as library_error:
        rfc8785.dumps(value)  # type: ignore[arg-type]
    with pytest.raises(library_error.type, match=f"^{re.escape(str(library_error.value))}$"):
        canonical.dumps(value)


def test_a_cycle_fails_as_it_does_in_the_library() -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(RecursionError):
        canonical.dumps(cycle)


class _Colour(StrEnum):
    RED = "red"


class _Rank(IntEnum):
    ONE = 1


@pytest.mark.parametrize(
    ("value", "fast"),
    [
        ({"kind": _Colour.RED}, True),  # a str subclass: both encoders write its characters
        ([_Rank.ONE], False),  # an int subclass may convert differently: the library decides
        ([1.0, -0.0], False),
        ((1, "two", [3]), True),
        ([[[[[]]]]] * 3, True),
        ({"\U0001f600": 1, "a": 2}, True),  # an astral key alone sorts the same either way
        ({"\U0001f600": 1, "\ue000": 2}, False),
    ],
    ids=repr,
)
def test_which_values_take_the_fast_path(value: object, fast: bool, library: mock.Mock) -> None:
    assert canonical.dumps(value) == rfc8785.dumps(value)  # type: ignore[arg-type]
    assert library.called != fast


def test_values_nested_deeper_than_the_fast_depth_go_to_the_library(library: mock.Mock) -> None:
    shallow: list[object] = []  # FAST_DEPTH lists, one in another
    for _ in range(canonical.FAST_DEPTH - 1):
        shallow = [shallow]
    assert canonical.dumps(shallow) == rfc8785.dumps(shallow)  # type: ignore[arg-type]
    assert not library.called
    deep = [shallow]
    assert canonical.dumps(deep) == rfc8785.dumps(deep)  # type: ignore[arg-type]
    assert library.called


def test_canonical_is_a_leaf_that_imports_nothing_of_ours() -> None:
    assert _our_imports(Path(canonical.__file__)) == set()


def _imports_the_library(path: Path) -> bool:
    """Whether the module at ``path`` imports ``rfc8785`` (in any form, anywhere in it)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(
            alias.name.partition(".")[0] == "rfc8785" for alias in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").partition(".")[0] == "rfc8785":
            return True
    return False


def test_only_canonical_calls_the_library() -> None:
    src = Path(canonical.__file__).parent
    callers = [p for p in sorted(src.rglob("*.py")) if _imports_the_library(p)]
    assert callers == [Path(canonical.__file__)]


@pytest.mark.parametrize(
    "planted",
    ["import rfc8785\n", "from rfc8785 import dumps\n", "def f() -> None:\n    import rfc8785\n"],
)
def test_the_library_guard_catches_a_planted_import(planted: str, tmp_path: Path) -> None:
    module = tmp_path / "planted.py"
    module.write_text(planted, encoding="utf-8")
    assert _imports_the_library(module)
