"""File handling shared by the commands: atomic outputs, inputs, the key passphrase.

An output is written to a temporary file beside its destination (mode 0600) and renamed onto
it only when the command succeeded, so a failed or refused command never leaves a partial
file, in particular never partial plaintext.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pactshare.errors import InputError

__all__ = ["PASSPHRASE_ENV", "atomic_output", "open_input", "passphrase"]

PASSPHRASE_ENV = "PACTSHARE_KEY_PASSPHRASE"  # noqa: S105 - a variable name, not a secret


def passphrase() -> bytes | None:
    """The private-key passphrase from ``PACTSHARE_KEY_PASSPHRASE``, if set and non-empty."""
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


@contextmanager
def open_input(path: Path) -> Iterator[BinaryIO]:
    """Open ``path`` for reading, translating OS errors into one-line input errors."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    with handle:
        yield handle


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """Yield a temporary file that replaces ``path`` only if the block ends without error."""
    folder = path.parent if str(path.parent) else Path()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise InputError(f"{path}: cannot write here ({exc.strerror})") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
