"""Sealed envelopes on disk, addressed by the SHA-256 of their bytes.

Writes go to a temporary file that is flushed, synced and renamed into place, so a crash
never leaves a partial object under its digest; storing the same envelope twice is a no-op.
Only sealed envelopes are stored here, never plaintext.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from pactshare.errors import StorageError

__all__ = ["ObjectStore"]

_BLOCK = 1 << 20


class ObjectStore:
    """A folder of content-addressed objects: ``root/ab/cdef…`` for digest ``abcdef…``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise StorageError(f"{digest!r} is not a SHA-256 digest")
        return self.root / digest[:2] / digest[2:]

    def put_chunks(self, chunks: Iterable[bytes | memoryview]) -> tuple[str, int]:
        """Store the concatenation of ``chunks``; return its digest and size."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle, temporary = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            target = self.path(digest.hexdigest())
            target.parent.mkdir(exist_ok=True)
            os.replace(temporary, target)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise StorageError(f"cannot store an object under {self.root}: {exc.strerror}") from exc
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest.hexdigest(), size

    def put_file(self, source: BinaryIO) -> tuple[str, int]:
        return self.put_chunks(iter(lambda: source.read(_BLOCK), b""))

    def open(self, digest: str) -> BinaryIO:
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError as exc:
            raise StorageError(f"object {digest} is missing from {self.root}") from exc

    def verify(self, digest: str) -> bool:
        """Whether the stored bytes still hash to their name."""
        hasher = hashlib.sha256()
        with self.open(digest) as source:
            for block in iter(lambda: source.read(_BLOCK), b""):
                hasher.update(block)
        return hasher.hexdigest() == digest
