"""Canonical JSON's fast path gives the ``rfc8785`` library's bytes and errors, on any value.

Each property is shown able to fail: a fast path with a planted flaw (code-point key order
trusted, an integer bound one too far, ASCII escapes, every value declined) is caught on
random values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
import rfc8785
from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st

from pactshare import canonical
from tests.properties.conftest import examples
from tests.strategies import any_json, provable_json


def _outcome(encode: Callable[[object], bytes], value: object) -> object:
    """The bytes ``encode`` gives, or the type and message of what it raises."""
    try:
        return encode(value)
    except (ValueError, TypeError, RecursionError) as exc:
        return type(exc), str(exc)


@contextmanager
def _library_calls() -> Iterator[mock.Mock]:
    """Count the calls :func:`canonical.dumps` makes to the library (its fallback)."""
    with mock.patch.object(canonical, "rfc8785", wraps=rfc8785) as library:
        yield library.dumps


def _orders_agree(value: object) -> bool:
    """Whether every object in ``value`` sorts its keys the same by code points and by UTF-16
    code units (an oracle written apart from the module's own check)."""
    if isinstance(value, dict):
        keys = list(value)
        by_utf16 = sorted(keys, key=_utf16)
        return sorted(keys) == by_utf16 and all(map(_orders_agree, value.values()))
    if isinstance(value, list | tuple):
        return all(map(_orders_agree, value))
    return True


def _utf16(text: str) -> list[int]:
    """``text``'s UTF-16 code units (a character above U+FFFF is a surrogate pair)."""
    units = []
    for char in text:
        point = ord(char)
        if point > 0xFFFF:
            point -= 0x10000
            units += [0xD800 + (point >> 10), 0xDC00 + (point & 0x3FF)]
        else:
            units.append(point)
    return units


def same_as_the_library(value: object) -> None:
    with _library_calls() as fallback:
        ours = _outcome(canonical.dumps, value)
    event("fallback" if fallback.called else "fast path")
    assert ours == _outcome(rfc8785.dumps, value)  # type: ignore[arg-type]  # takes any value


def fast_and_same_as_the_library(value: object) -> None:
    with _library_calls() as fallback:
        ours = canonical.dumps(value)
    assert ours == rfc8785.dumps(value)  # type: ignore[arg-type]
    assert fallback.called == (not _orders_agree(value))
    event("fallback (key order)" if fallback.called else "fast path")


@given(value=any_json())
@settings(max_examples=examples(1000, 300))
def test_dumps_gives_the_library_bytes_and_errors_for_any_value(value: object) -> None:
    same_as_the_library(value)


@given(value=provable_json())
@settings(max_examples=examples(1000, 300))
def test_the_fast_path_takes_every_value_it_can_prove_and_agrees(value: object) -> None:
    fast_and_same_as_the_library(value)


@given(text=st.text(max_size=40))
def test_any_string_is_the_library_string(text: str) -> None:
    same_as_the_library(text)


def _trust_code_point_order(obj: dict[object, object]) -> bool:
    return all(type(key) is str for key in obj)


def _decline(values: object, depth: int) -> bool:
    return False


@pytest.mark.parametrize(
    ("flaw", "replacement", "check", "values"),
    [
        ("_keys_in_order", _trust_code_point_order, same_as_the_library, provable_json),
        ("_MAX_INT", 2**53, same_as_the_library, any_json),
        (
            "_ENCODER",
            json.JSONEncoder(separators=(",", ":"), sort_keys=True, check_circular=False),
            same_as_the_library,
            provable_json,
        ),
        ("_provable", _decline, fast_and_same_as_the_library, provable_json),
    ],
)
def test_a_planted_flaw_in_the_fast_path_is_caught(
    flaw: str,
    replacement: object,
    check: Callable[[object], None],
    values: Callable[[], st.SearchStrategy[object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(canonical, flaw, replacement)
    hunt = settings(  # found, not shrunk: that it fails is the point
        max_examples=1000, derandomize=True, database=None, phases=[Phase.generate]
    )(given(value=values())(check))
    with pytest.raises(AssertionError):
        hunt()
