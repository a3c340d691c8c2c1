"""Files written whole or not at all: a temporary file beside the destination, flushed, synced
and renamed onto it only when the writing block succeeded, then the folder synced so that the
rename itself survives a power loss. A failed or refused command never
leaves a partial file — in particular never partial plaintext. A leaf module (it imports
nothing of ours but errors), so that the node and the CLI alike write through it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pactshare.errors import InputError

__all__ = ["atomic_output", "sync_folder"]


def sync_folder(folder: Path) -> None:
    """Make the entries of ``folder`` durable: a rename is not, until its folder is synced."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


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
        sync_folder(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
