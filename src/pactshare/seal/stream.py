"""Chunked STREAM encryption of a payload with AES-256-GCM, and its running digest.

The payload is cut into chunks of ``chunk_size`` bytes (the last may be shorter, or empty for
an empty payload). Chunk ``i`` is sealed with the nonce ``prefix(7) || i (u32 BE) || last (u8)``
and the associated data given by the envelope, so that a chunk cannot be moved, dropped,
duplicated or marked last: each of these changes the nonce and fails authentication. On the
wire a chunk is a record ``flag (u8) || length (u32 BE) || ciphertext-and-tag``.

:class:`PayloadDigest` hashes the records with BLAKE3 on a helper thread (both BLAKE3 and
AES-GCM release the GIL), through a bounded queue, so memory stays at a few chunks.
"""

from __future__ import annotations

import os
import queue
import struct
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from blake3 import blake3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pactshare.defaults import DEFAULT_CHUNK_SIZE
from pactshare.errors import EnvelopeMalformedError, EnvelopeUnverifiedError, translated

__all__ = [
    "CHUNK_SIZE",
    "FLAG_LAST",
    "FLAG_MORE",
    "MAX_CHUNK_SIZE",
    "NONCE_PREFIX_SIZE",
    "RECORD_HEADER",
    "TAG_SIZE",
    "Input",
    "PayloadDigest",
    "Readable",
    "chunk_nonce",
    "decrypt_chunk",
    "decrypt_chunks",
    "encrypt_chunks",
    "read_exact",
    "read_records",
    "readable",
    "spare_core",
]

CHUNK_SIZE = DEFAULT_CHUNK_SIZE
MAX_CHUNK_SIZE = 16 * 1024 * 1024
TAG_SIZE = 16
NONCE_PREFIX_SIZE = 7
FLAG_MORE = 0
FLAG_LAST = 1
RECORD_HEADER = struct.Struct(">BI")
_MAX_CHUNKS = 2**32
_INLINE_BYTES = CHUNK_SIZE  # up to this, hashing inline beats handing over to a thread
_QUEUE_DEPTH = 3
_MAX_WORKERS = 64  # digests hashed at once; more wait their turn (their producers block)


class Readable(Protocol):
    """What seal, open and relay read from: any binary stream with ``read(size)``."""

    def read(self, size: int = -1, /) -> bytes | memoryview | None: ...


#: An input: a stream, or bytes already in memory (read without copying).
Input = Readable | bytes | bytearray | memoryview


class _Memory:
    """A stream over bytes in memory whose reads are views, not copies."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self._view = memoryview(data).cast("B")
        self._at = 0

    def read(self, size: int = -1, /) -> memoryview:
        end = len(self._view) if size < 0 else min(self._at + size, len(self._view))
        piece = self._view[self._at : end]
        self._at = end
        return piece


def readable(source: Input) -> Readable:
    """``source`` as a stream (bytes in memory are read as views, without copying)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _Memory(source)
    return source


def _plain_chunks(source: Input, chunk_size: int) -> Iterator[memoryview | bytes]:
    """The payload in chunks of ``chunk_size`` (the last shorter), at least one chunk.

    A chunk is valid only until the next one is requested plus one: streams are read with
    ``readinto`` into two alternating buffers, so no chunk is allocated.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source).cast("B")
        yield from (view[i : i + chunk_size] for i in range(0, len(view), chunk_size))
        if not view:
            yield view
        return
    fill = getattr(source, "readinto", None)
    if fill is None:
        while True:
            piece = read_exact(source, chunk_size)
            yield piece
            if len(piece) < chunk_size:
                return
    buffers = (bytearray(chunk_size), bytearray(chunk_size))
    turn = 0
    while True:
        buffer = memoryview(buffers[turn])
        got = 0
        while got < chunk_size:
            n = fill(buffer[got:])
            if not n:
                break
            got += n
        yield buffer[:got]
        if got < chunk_size:
            return
        turn = 1 - turn


def chunk_nonce(prefix: bytes, index: int, *, last: bool) -> bytes:
    """The 96-bit nonce of chunk ``index``."""
    if index >= _MAX_CHUNKS:
        raise EnvelopeMalformedError("payload has more chunks than format v1 allows")
    return prefix + struct.pack(">IB", index, FLAG_LAST if last else FLAG_MORE)


class _Workers:
    """A process-wide pool of helper threads for digests (reused: starting a thread per
    envelope costs as much as hashing a few hundred KiB). Forgotten in a forked child, whose
    copy of the pool has no threads."""

    pool: ThreadPoolExecutor | None = None
    lock = threading.Lock()

    @classmethod
    def get(cls) -> ThreadPoolExecutor:
        with cls.lock:
            if cls.pool is None:
                cls.pool = ThreadPoolExecutor(_MAX_WORKERS, thread_name_prefix="pactshare-digest")
            return cls.pool

    @classmethod
    def forget(cls) -> None:
        cls.pool = None
        cls.lock = threading.Lock()


os.register_at_fork(after_in_child=_Workers.forget)


def spare_core() -> bool:
    """Whether a second core is free now: at least two usable CPUs, and fewer tasks ready to
    run (this one among them) than CPUs."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return cores >= 2 and runnable() <= cores - 1


def runnable() -> float:
    """Tasks ready to run right now, the caller among them (Linux's ``/proc/loadavg``);
    elsewhere the one-minute load average, which lags by up to a minute."""
    try:
        with open("/proc/loadavg", "rb") as proc:
            return int(proc.read().split()[3].split(b"/")[0])
    except (OSError, IndexError, ValueError):
        try:
            return os.getloadavg()[0]
        except (AttributeError, OSError):  # pragma: no cover - no load average here
            return float("inf")


class PayloadDigest:
    """BLAKE3-256 over every chunk record.

    Small payloads are hashed inline. Past that, if a second core is free (:func:`spare_core`),
    records go through a bounded queue to a task on a pooled thread, which hashes them in
    order beside the encryption (memory stays at a few chunks). On a busy machine the hand-over
    costs more than it gains (measured: 0.31 of raw AES-GCM against 0.51 inline at a load of 4
    on 2 cores), so hashing stays inline. Either way the digest is the same.
    """

    def __init__(self, *, parallel: bool | None = None) -> None:
        self._hash = blake3()
        self._inline = 0
        self._parallel = parallel  # None: decide when the payload outgrows the inline size
        self._queue: queue.Queue[tuple[bytes | memoryview, bytes | memoryview] | None] | None = None
        self._task: Future[None] | None = None

    def update(self, head: bytes | memoryview, body: bytes | memoryview) -> None:
        """Add one record; ``body`` must not be mutated afterwards."""
        if self._queue is None:
            if self._inline + len(body) > _INLINE_BYTES and self._parallel is None:
                self._parallel = spare_core()
            if self._inline + len(body) <= _INLINE_BYTES or not self._parallel:
                self._inline += len(body)
                self._hash.update(head)
                self._hash.update(body)
                return
            self._queue = queue.Queue(maxsize=_QUEUE_DEPTH)
            self._task = _Workers.get().submit(self._work, self._queue)
        self._queue.put((head, body))

    def _work(
        self, items: queue.Queue[tuple[bytes | memoryview, bytes | memoryview] | None]
    ) -> None:
        while (item := items.get()) is not None:
            self._hash.update(item[0])
            self._hash.update(item[1])

    def _stop(self) -> None:
        if self._queue is not None and self._task is not None:
            self._queue.put(None)
            self._task.result()
            self._queue = None
            self._task = None

    def digest(self) -> bytes:
        """Finish and return the 32-byte digest."""
        self._stop()
        return self._hash.digest()

    def close(self) -> None:
        """Stop the helper thread without a result (on error or abandonment)."""
        self._stop()


def read_exact(source: Readable, size: int) -> bytes | memoryview:
    """Read ``size`` bytes, fewer only at the end of the stream."""
    data = source.read(size)
    if data is None:
        data = b""
    if len(data) == size or not data:
        return data
    parts: list[bytes | memoryview] = [data]
    got = len(data)
    while got < size:
        more = source.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def encrypt_chunks(
    source: Input,
    *,
    key: bytes,
    prefix: bytes,
    aad: bytes,
    chunk_size: int,
    digest: PayloadDigest,
) -> Iterator[bytes]:
    """Yield the chunk records of ``source`` (record heads and bodies as separate pieces)."""
    aead = AESGCM(key)
    chunks = _plain_chunks(source, chunk_size)
    current = next(chunks)
    index = 0
    while True:
        # Look one chunk ahead to know whether this one is the last (a full chunk may be).
        following = next(chunks, None) if len(current) == chunk_size else None
        last = not following  # None, or an empty read after a full chunk
        body = aead.encrypt(chunk_nonce(prefix, index, last=last), current, aad)
        head = RECORD_HEADER.pack(FLAG_LAST if last else FLAG_MORE, len(body))
        digest.update(head, body)
        yield head
        yield body
        if last or following is None:
            return
        current = following
        index += 1


def read_records(
    source: Readable, *, chunk_size: int, digest: PayloadDigest
) -> Iterator[tuple[int, bool, bytes | memoryview, bytes | memoryview]]:
    """Yield ``(index, last, head, body)`` for each chunk record, checking the framing only."""
    index = 0
    while True:
        head = read_exact(source, RECORD_HEADER.size)
        if len(head) < RECORD_HEADER.size:
            raise EnvelopeUnverifiedError(
                f"envelope ends before its last chunk (chunk {index} missing: truncated)"
            )
        flag, length = RECORD_HEADER.unpack(head)
        if flag not in (FLAG_MORE, FLAG_LAST):
            raise EnvelopeMalformedError(f"chunk {index} has an unknown flag {flag}")
        full = chunk_size + TAG_SIZE
        if (flag == FLAG_MORE and length != full) or not TAG_SIZE <= length <= full:
            raise EnvelopeMalformedError(f"chunk {index} has an impossible length {length}")
        body = read_exact(source, length)
        if len(body) < length:
            raise EnvelopeUnverifiedError(f"envelope ends inside chunk {index} (truncated)")
        digest.update(head, body)
        last = flag == FLAG_LAST
        yield index, last, head, body
        if last:
            return
        index += 1
        if index >= _MAX_CHUNKS:
            raise EnvelopeMalformedError("payload has more chunks than format v1 allows")


def decrypt_chunk(
    aead: AESGCM, prefix: bytes, index: int, body: bytes | memoryview, aad: bytes, *, last: bool
) -> bytes:
    """Chunk ``index``'s plaintext, authenticated; :class:`EnvelopeUnverifiedError` if not."""
    with translated(
        EnvelopeUnverifiedError,
        f"chunk {index} failed authentication (the envelope was altered or truncated)",
    ):
        return aead.decrypt(chunk_nonce(prefix, index, last=last), body, aad)


def decrypt_chunks(
    records: Iterator[tuple[int, bool, bytes | memoryview, bytes | memoryview]],
    *,
    key: bytes,
    prefix: bytes,
    aad: bytes,
) -> Iterator[tuple[bool, bytes]]:
    """Yield ``(last, plaintext)`` for each record, each authenticated on its own."""
    aead = AESGCM(key)
    for index, last, _, body in records:
        yield last, decrypt_chunk(aead, prefix, index, body, aad, last=last)
