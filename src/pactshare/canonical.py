"""RFC 8785 canonical JSON, the bytes everything signed, hashed or sealed is built from.

:func:`dumps` gives exactly what the ``rfc8785`` library gives, for every value, and raises
exactly what it raises. Most values take a fast path: the standard library's C encoder
(sorted keys, compact separators, non-ASCII kept) whose output is RFC 8785 byte for byte on a
domain this module checks first:

* ``None``, booleans, strings (any ``str``, subclasses included: both encoders write the
  characters, never call a method of the value) — the two escape the same characters the same
  way: ``\\b \\f \\n \\r \\t \\" \\\\``, other controls below U+0020 as lower-case
  ``\\u00xx``, and nothing else (not ``/``, DEL, U+2028/U+2029 nor any non-ASCII character);
  a lone surrogate fails the UTF-8 encoding, and the value goes to the library, which refuses it;
* integers of exactly type ``int`` within ±(2**53 - 1), the library's bounds (beyond them it
  raises; ``int`` subclasses may convert differently, so they go to the library);
* lists, tuples and dicts of exactly those types, with keys of exactly type ``str``, nested at
  most :data:`FAST_DEPTH` deep (deeper values go to the library, and so do cyclic ones, for
  which it raises ``RecursionError``);
* objects whose key order by code points (Python's sort) is their order by UTF-16 code units
  (RFC 8785's): the two differ only between a character above U+FFFF and one in
  U+E000..U+FFFF, so only objects with a key holding a character from U+E000 up are compared
  both ways.

Everything else (floats, ``NaN``, other types, big integers, lone surrogates, keys that are
not strings) goes to ``rfc8785.dumps``, so its output and its errors are unchanged. A
property test holds the two equal on random values, astral characters included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import rfc8785

__all__ = ["FAST_DEPTH", "CanonicalizationError", "dumps"]

CanonicalizationError = rfc8785.CanonicalizationError
"""What :func:`dumps` raises for a value without a canonical form (the library's error)."""

FAST_DEPTH = 64
"""How many containers deep, one in another, a value the fast path takes may be (deeper ones
go to the library)."""

_MAX_INT = 2**53 - 1  # rfc8785 refuses integers beyond ±(2**53 - 1)

# One encoder for every call (json.dumps with arguments builds one each time). Circularity
# needs no check: a cycle is deeper than FAST_DEPTH, so it never reaches the encoder.
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, check_circular=False
)


def dumps(value: object) -> bytes:
    """The RFC 8785 canonical JSON bytes of ``value``.

    Raises what ``rfc8785.dumps`` raises: :class:`CanonicalizationError` for a float that
    is not finite, an integer beyond ±(2**53 - 1), a lone surrogate in a string, a key that is
    not a string or an unsupported type (``UnicodeEncodeError`` for a lone surrogate in a key,
    ``RecursionError`` for a cycle).
    """
    if _provable((value,), 0):
        try:
            return _ENCODER.encode(value).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: the library says how it refuses it
            pass
    return rfc8785.dumps(value)  # type: ignore[arg-type]  # the library checks the type itself


def _provable(values: Iterable[object], depth: int) -> bool:
    """Whether the C encoder's output for each of ``values`` is RFC 8785, lone surrogates
    aside (see the module)."""
    for value in values:
        if type(value) is str or value is None or value is True or value is False:
            continue
        if type(value) is int:
            if not -_MAX_INT <= value <= _MAX_INT:
                return False
        elif type(value) is dict:
            if depth >= FAST_DEPTH or not _keys_in_order(value):
                return False
            if not _provable(value.values(), depth + 1):
                return False
        elif type(value) is list or type(value) is tuple:
            if depth >= FAST_DEPTH or not _provable(value, depth + 1):
                return False
        elif not isinstance(value, str):
            return False
    return True


def _keys_in_order(obj: dict[Any, object]) -> bool:
    """Whether every key is a ``str`` and sorting them by code points (as the C encoder does)
    gives RFC 8785's order, by UTF-16 code units."""
    sure = True
    for key in obj:
        if type(key) is not str:
            return False
        if not key.isascii() and max(key) >= "\ue000":
            sure = False
    if sure:
        return True
    try:
        return sorted(obj) == sorted(obj, key=lambda key: key.encode("utf-16-be"))
    except UnicodeEncodeError:  # a lone surrogate: the library refuses it
        return False
