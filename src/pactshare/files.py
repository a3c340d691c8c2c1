"""Files written whole or not at all, and files read whole within a bound.

Writing: a temporary file beside the destination, flushed, synced and renamed onto it only
when the writing block succeeded, then the folder synced so that the rename itself survives a
power loss. A failed or refused command never leaves a partial file — in particular never
partial plaintext.

Reading a small file someone handed us (an agreement file, a courier's signed document):
only a regular file, never more than a bound — a FIFO would block for ever and ``/dev/zero``
never ends.

A leaf module (it imports nothing of ours but errors), so that the node and the CLI alike
read and write through it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pactshare.errors import InputError

__all__ = ["atomic_output", "read_regular", "sync_folder"]


def sync_folder(folder: Path) -> None:
    """Make the entries of ``folder`` durable: a rename is not, until its folder is synced."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path``: a regular file of at most ``limit`` bytes. InputError otherwise,
    its message the reason alone (callers name the file their own way)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise InputError("not a regular file")
            data = file.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})") from exc
    if len(data) > limit:
        raise InputError(f"larger than {limit} bytes")
    return data


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
