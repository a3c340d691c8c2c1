"""Envelopes of one chunk in memory, sealed and opened in one go.

Most items are small: their payload fits one chunk and is already in memory. For them the
streaming machinery (generators reading, encrypting and hashing piece by piece) costs more
than the cryptography. These functions do the same steps on whole buffers: the bytes are
those of the streaming path for the same inputs and randomness, and a tampered envelope
fails with the same error (a differential test holds both). Nothing is computed before the
caller asks for the first piece, as with the streaming path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from blake3 import blake3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pactshare.seal.binding import chunk_aad, signed_message, verify_signature
from pactshare.seal.header import SIGNATURE_SIZE, Header
from pactshare.seal.stream import (
    FLAG_LAST,
    RECORD_HEADER,
    TAG_SIZE,
    chunk_nonce,
    decrypt_chunk,
)

__all__ = ["Single", "is_single_chunk", "open_single", "seal_single"]


class Single:
    """An iterator over at most one piece, made when it is first asked for (an empty piece
    is no piece: the streaming reader yields no empty plaintext)."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], bytes]) -> None:
        self._make: Callable[[], bytes] | None = make

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        make, self._make = self._make, None
        if make is None:
            raise StopIteration
        piece = make()
        if not piece:
            raise StopIteration
        return piece


def seal_single(
    payload: memoryview,
    header: Header,
    front: bytes,
    data_key: bytes,
    signing_key: Ed25519PrivateKey,
) -> bytes:
    """The whole envelope of a payload of at most one chunk: ``front`` (preamble, header and
    hops sections), its one last chunk record and the originator's signature."""
    nonce = chunk_nonce(header.nonce_prefix, 0, last=True)
    body = AESGCM(data_key).encrypt(nonce, payload, chunk_aad(header))
    head = RECORD_HEADER.pack(FLAG_LAST, len(body))
    digest = blake3(head)
    digest.update(body)
    signature = signing_key.sign(signed_message(header, digest.digest()))
    return b"".join((front, head, body, signature))


def is_single_chunk(rest: memoryview, chunk_size: int) -> bool:
    """Whether what follows an envelope's hops section is exactly one well-framed last chunk
    record and a signature (anything else is read, and refused, by the streaming reader)."""
    if len(rest) < RECORD_HEADER.size:
        return False
    flag, length = RECORD_HEADER.unpack_from(rest)
    return bool(
        flag == FLAG_LAST
        and TAG_SIZE <= length <= chunk_size + TAG_SIZE
        and len(rest) == RECORD_HEADER.size + length + SIGNATURE_SIZE
    )


def open_single(
    rest: memoryview,
    header: Header,
    data_key: bytes,
    originator_key: Ed25519PublicKey,
) -> bytes:
    """The plaintext of a one-chunk envelope's ``rest`` (:func:`is_single_chunk`), released
    only once the chunk authenticated and the originator's signature verified."""
    end = len(rest) - SIGNATURE_SIZE
    head, body = rest[: RECORD_HEADER.size], rest[RECORD_HEADER.size : end]
    aead = AESGCM(data_key)
    plain = decrypt_chunk(aead, header.nonce_prefix, 0, body, chunk_aad(header), last=True)
    digest = blake3(head)
    digest.update(body)
    verify_signature(originator_key, rest[end:], header, digest.digest())
    return plain
