"""File handling shared by the commands: inputs and the key passphrase. Outputs are written
whole or not at all with :func:`pactshare.files.atomic_output`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pactshare.errors import InputError

__all__ = ["PASSPHRASE_ENV", "open_input", "passphrase", "unencrypted_hint"]

PASSPHRASE_ENV = "PACTSHARE_KEY_PASSPHRASE"  # noqa: S105 - a variable name, not a secret


def passphrase() -> bytes | None:
    """The private-key passphrase from ``PACTSHARE_KEY_PASSPHRASE``, if set and non-empty."""
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


def unencrypted_hint(folder: Path) -> None:
    """Say on standard error that private keys were just written unencrypted, and how not to."""
    if passphrase() is None:
        print(  # noqa: T201 - the CLI's own voice, on stderr so that --json output stays clean
            f"note: the private keys in {folder} are not encrypted (files readable by their "
            f"owner only); set {PASSPHRASE_ENV} to write them encrypted with a passphrase",
            file=sys.stderr,
        )


@contextmanager
def open_input(path: Path) -> Iterator[BinaryIO]:
    """Open ``path`` for reading, translating OS errors into one-line input errors."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    with handle:
        yield handle
