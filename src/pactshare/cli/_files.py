"""File handling shared by the commands: inputs and the key passphrase. Outputs are written
whole or not at all with :func:`pactshare.store.files.atomic_output`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pactshare.errors import InputError

__all__ = ["PASSPHRASE_ENV", "open_input", "passphrase"]

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
