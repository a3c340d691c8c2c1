"""Sealed envelopes on disk, addressed by the SHA-256 of their bytes.

Writes go to a temporary file that is flushed, synced and renamed into place, and the folder
it lands in is synced after the rename, so a crash never leaves a partial object under its
digest nor loses one kept before a commit that names it; storing the same envelope twice is a
no-op. A store is created with its 256 subfolders (:meth:`ObjectStore.create`, at ``node
init``), its root synced once, so that keeping an object costs two syncs (its file, its
folder); a subfolder a store lacks (one created before) is made when needed, the root synced
then.
A caller that must check the bytes before keeping them (a received package) *stages* them:
the staged file is renamed into place only when the caller says so, and deleted otherwise,
so a refused or failed reception leaves no file behind. Only sealed envelopes are stored
here, never plaintext.

A store may be given where else its objects are kept (``kept``: a small received envelope is
kept in the node's database with its receipt, :mod:`pactshare.node.envelopes`):
:meth:`ObjectStore.open` and :meth:`ObjectStore.verify` look there for an object that has no
file, so that whoever reads an envelope by its digest finds it wherever it is kept.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pactshare.errors import StorageError
from pactshare.files import sync_folder
from pactshare.limits import blocks

__all__ = ["ABANDONED", "ObjectStore", "Staged"]

ABANDONED = 3600.0  # seconds: a staged file untouched this long belongs to no live reception


class ObjectStore:
    """A folder of content-addressed objects: ``root/ab/cdef…`` for digest ``abcdef…``."""

    def __init__(self, root: Path, *, kept: Callable[[str], bytes | None] | None = None) -> None:
        """``kept(digest)``: the bytes of an object kept elsewhere than in a file, or None."""
        self.root = root
        self._kept = kept

    def create(self) -> None:
        """Create the store's root and its subfolders, one for each first byte of a digest,
        and sync the root once: keeping an object then never makes a folder."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for first in range(256):
                (self.root / f"{first:02x}").mkdir(exist_ok=True)
            sync_folder(self.root)
        except OSError as exc:
            raise StorageError(f"cannot create an object store in {self.root}: {exc}") from exc

    def sweep(self, *, now: float, older_than: float = ABANDONED) -> int:
        """Delete staged files a killed process left behind (untouched for ``older_than``
        seconds of real time ``now``: a live reception writes or commits well within that);
        return how many. A file that cannot be read or removed is left for the next sweep."""
        removed = 0
        for staged in self.root.glob(".incoming-*"):
            try:
                if now - staged.stat().st_mtime > older_than:
                    staged.unlink()
                    removed += 1
            except OSError:
                continue
        return removed

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise StorageError(f"{digest!r} is not a SHA-256 digest")
        return self.root / digest[:2] / digest[2:]

    def put_chunks(self, chunks: Iterable[bytes | memoryview]) -> tuple[str, int]:
        """Store the concatenation of ``chunks``; return its digest and size."""
        with self.stage(chunks) as staged:
            staged.keep()
        return staged.digest, staged.size

    @contextmanager
    def stage(self, chunks: Iterable[bytes | memoryview]) -> Iterator[Staged]:
        """Write ``chunks`` to a temporary file of the store and yield it, staged: it goes
        under its digest only if :meth:`Staged.keep` is called inside the block, and is
        deleted otherwise, whatever ends the block (an error of ``chunks`` included)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        except OSError as exc:
            raise StorageError(f"cannot store an object under {self.root}: {exc.strerror}") from exc
        temporary = Path(name)
        try:
            digest = hashlib.sha256()
            size = 0
            try:
                with os.fdopen(handle, "wb") as out:
                    for chunk in chunks:
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
                    out.flush()
                    os.fsync(out.fileno())
            except OSError as exc:
                raise StorageError(
                    f"cannot store an object under {self.root}: {exc.strerror}"
                ) from exc
            yield Staged(self, temporary, digest.hexdigest(), size)
        finally:
            temporary.unlink(missing_ok=True)  # already gone if it was kept

    def discard(self, digest: str) -> None:
        """Delete an object kept by a unit of work that then failed to commit."""
        try:
            self.path(digest).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete object {digest}: {exc.strerror}") from exc

    def open(self, digest: str) -> BinaryIO:
        """Read an object: its file, else its bytes kept elsewhere (``kept``)."""
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError as exc:
            data = self._kept(digest) if self._kept is not None else None
            if data is None:
                raise StorageError(f"object {digest} is missing from {self.root}") from exc
            return io.BytesIO(data)

    def verify(self, digest: str) -> bool:
        """Whether the stored bytes still hash to their name."""
        hasher = hashlib.sha256()
        with self.open(digest) as source:
            for block in blocks(source):
                hasher.update(block)
        return hasher.hexdigest() == digest


class Staged:
    """Bytes written to the store under a temporary name, not yet kept under their digest."""

    def __init__(self, store: ObjectStore, temporary: Path, digest: str, size: int) -> None:
        self._store = store
        self._temporary = temporary
        self.digest = digest
        self.size = size

    def open(self) -> BinaryIO:
        """Read the staged bytes (to verify them before keeping them)."""
        return self._temporary.open("rb")

    def keep(self) -> bool:
        """Rename the staged file under its digest; return whether the store lacked it."""
        target = self._store.path(self.digest)
        try:
            new = not target.exists()
            try:
                target.parent.mkdir()
                sync_folder(self._store.root)  # the new subfolder's own entry
            except FileExistsError:
                pass
            os.replace(self._temporary, target)
            sync_folder(target.parent)  # the rename itself
        except OSError as exc:
            raise StorageError(f"cannot store object {self.digest}: {exc.strerror}") from exc
        return new
