"""The bounds of what pactshare accepts from outside, each defined once.

Every value a person, a peer, a courier or the operator hands us is hostile until checked.
These are the shared checks every layer uses (like :mod:`pactshare.errors`, this module
imports nothing else of ours):

* **instants** lie in the years 1900 to 2199 (``EARLIEST <= t < LATEST``, compared as
  instants): no agreement speaks of other years, and the calendar arithmetic of far instants
  (a year-1 date at +14:00) overflows;
* **ids** (items, events, approvals, messages) follow one grammar, :data:`ID_PATTERN`: ASCII
  letters and digits, then also ``.``, ``_`` and ``-``, at most 64 characters — safe in a
  file name, a header, a URL path and a log line, and within every id column;
* **JSON** (:func:`parse_json`) is UTF-8, nested at most :data:`MAX_DEPTH` deep, with
  integers within ±(2**53 - 1) and finite numbers only, no lone surrogate and no key twice in
  an object (I-JSON, RFC 7493: what RFC 8785 canonicalisation and signing need);
* **TOML** (:func:`parse_toml`) is nested at most :data:`MAX_DEPTH` deep and its date-times
  with an offset are instants in range; a party, agreement or topics file is a regular file
  of at most :data:`MAX_SCENARIO_FILE` bytes;
* **files and streams** of any size are read by :func:`blocks` of at most :data:`BLOCK`
  bytes, so memory stays bounded whatever their size.

Each check raises :class:`~pactshare.errors.InputError` naming what and where; callers
translate it into their own kind of error (a label, a package, a scenario file).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from pactshare.errors import InputError

__all__ = [
    "BLOCK",
    "EARLIEST",
    "ID_PATTERN",
    "LATEST",
    "MAX_DEPTH",
    "MAX_DOCUMENT",
    "MAX_SAFE_INTEGER",
    "MAX_SCENARIO_FILE",
    "MAX_TRANSLATION",
    "blocks",
    "check_id",
    "check_instant",
    "in_range",
    "parse_json",
    "parse_toml",
]

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
MAX_DEPTH = 32
MAX_SAFE_INTEGER = 2**53 - 1
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
BLOCK = 1 << 20  # bytes read at a time from a file or a stream
MAX_SCENARIO_FILE = 1 << 20  # bytes of one party, agreement or topics file (the reference: 4 KiB)
MAX_TRANSLATION = 16 << 20  # bytes of a translation's text (R-TRA-1)
MAX_DOCUMENT = 16 << 20  # bytes of one signed document, from a peer or a courier
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def blocks(source: IO[bytes]) -> Iterator[bytes]:
    """The bytes of ``source``, read :data:`BLOCK` bytes at a time until it ends."""
    while block := source.read(BLOCK):
        yield block


def in_range(at: datetime) -> bool:
    """Whether an aware ``at`` lies in the years 1900 to 2199 (never raises: aware
    date-times compare as instants without converting)."""
    return EARLIEST <= at < LATEST


def check_instant(at: datetime, *, what: str) -> datetime:
    """``at`` if it is aware and in range; otherwise :class:`InputError` naming ``what``."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InputError(
            f"{what}: {at.isoformat()} is a naive date-time; give its UTC offset "
            "(for example 2019-11-23T00:00:00+09:00)"
        )
    if not in_range(at):
        raise InputError(f"{what}: {at.isoformat()} is outside the years 1900 to 2199")
    return at


def check_id(value: object, *, what: str) -> str:
    """``value`` if it is an id of the one grammar (:data:`ID_PATTERN`)."""
    if not isinstance(value, str) or ID_PATTERN.fullmatch(value) is None:
        raise InputError(
            f"{what}: {value!r} is not an id (ASCII letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 64 characters)"
        )
    return value


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is beyond the range of a number")
    return value


def _safe_integer(text: str) -> int:
    if len(text.lstrip("-")) > 16:  # refuse before converting: 2**53 has 16 digits
        raise ValueError(f"the integer {text[:20]}… is beyond ±(2**53 - 1)")
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise ValueError(f"the integer {value} is beyond ±(2**53 - 1)")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in an object")
        result[key] = value
    return result


# Where a node of a parsed document is, kept as links until a refusal spells it out: None at
# the top, else (the parent's path, the key or index that leads here, whether it is an index).
_Path = tuple[Any, str | int, bool] | None


def _spelled(what: str, path: _Path) -> str:
    """``what``, then the path (``a.b[2].c``), as refusals name where they are."""
    steps: list[tuple[str | int, bool]] = []
    while path is not None:
        path, step, index = path
        steps.append((step, index))
    text = ""
    for step, index in reversed(steps):
        text = f"{text}[{step}]" if index else f"{text}.{step}" if text else str(step)
    return f"{what}: {text}" if text else what


def _check_tree(value: object, what: str) -> None:
    """Depth, lone surrogates and instants of a parsed document, walked without recursion
    (the last member first); a node's path is spelled only if it is refused."""
    pending: list[tuple[object, _Path, int]] = [(value, None, 0)]
    while pending:
        current, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"{what}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(current, str):
            if _SURROGATE.search(current):
                where = _spelled(what, path)
                raise InputError(f"{where}: a string holds a lone surrogate (not Unicode text)")
        elif isinstance(current, dict):
            below = depth + 1
            for key, child in current.items():
                pending.append((key, path, below))  # a key: named by its object's path
                pending.append((child, (path, key, False), below))
        elif isinstance(current, list):
            below = depth + 1
            pending.extend((child, (path, i, True), below) for i, child in enumerate(current))
        elif isinstance(current, datetime) and current.tzinfo is not None:
            check_instant(current, what=_spelled(what, path))


def parse_json(data: bytes | str, *, what: str) -> Any:  # JSON values are untyped until checked
    """Parse untrusted JSON within the bounds above; :class:`InputError` otherwise."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite,
            parse_int=_safe_integer,
            object_pairs_hook=_unique_keys,
        )
    except UnicodeDecodeError as exc:
        raise InputError(f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except RecursionError as exc:
        raise InputError(f"{what}: nested more than {MAX_DEPTH} levels deep") from exc
    except ValueError as exc:  # JSONDecodeError is a ValueError, as are the hooks' refusals
        raise InputError(f"{what}: not JSON ({exc})") from exc
    _check_tree(value, what)
    return value


def parse_toml(text: str, *, what: str) -> dict[str, Any]:
    """Parse untrusted TOML within the bounds above; :class:`InputError` otherwise."""
    try:
        value = tomllib.loads(text)
    except RecursionError as exc:
        raise InputError(f"{what}: nested more than {MAX_DEPTH} levels deep") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{what}: not valid TOML ({exc})") from exc
    _check_tree(value, what)
    return value
