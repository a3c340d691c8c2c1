"""Seal, open, inspect and verify envelopes of format v1 (:mod:`pactshare.seal.header`).

``seal`` streams: it reads the payload a chunk at a time and yields the envelope in pieces.
``open`` checks everything that precedes the payload before it returns (format, originator
and hubs against the pinned directory, our wrapped key), then streams the plaintext. Every
chunk is authenticated before it is released, and the last one is released only once the
originator's signature over the whole envelope has been verified, so a consumer that reads to
the end without an error has read exactly what the originator sealed. A consumer that writes
to disk must still write to a temporary file and rename it at the end (the CLI does).
"""

from __future__ import annotations

import functools
import hmac
import os
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from pactshare.errors import (
    EnvelopeKeyError,
    EnvelopeMalformedError,
    EnvelopeReplayedError,
    EnvelopeUnverifiedError,
    translated,
)
from pactshare.seal.binding import (
    chunk_aad,
    key_commitment,
    signed_message,
    verify_signature,
    wrap_info,
)
from pactshare.seal.directory import Directory
from pactshare.seal.header import (
    ENVELOPE_ID_SIZE,
    SIGNATURE_SIZE,
    Header,
    Stanza,
    preamble,
    read_preamble,
    read_section,
    section,
)
from pactshare.seal.hops import Hop, hops_from_bytes, hops_to_bytes
from pactshare.seal.keys import PartyKeys, PublicKeys
from pactshare.seal.label import Label
from pactshare.seal.oneshot import Single, is_single_chunk, open_single, seal_single
from pactshare.seal.stream import (
    CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    NONCE_PREFIX_SIZE,
    Input,
    PayloadDigest,
    Readable,
    decrypt_chunks,
    encrypt_chunks,
    read_exact,
    read_records,
    readable,
)

__all__ = ["EnvelopeInfo", "inspect", "open", "seal", "verify"]

HPKE_SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
DATA_KEY_SIZE = 32


def wrap_key(
    data_key: bytes, recipient: PublicKeys, *, header_id: bytes, label: Label, wrapper_key_id: str
) -> Stanza:
    """HPKE-wrap ``data_key`` for ``recipient``'s current encryption key."""
    info = wrap_info(
        envelope_id=header_id,
        label=label,
        recipient_key_id=recipient.encryption_key_id,
        wrapper_key_id=wrapper_key_id,
    )
    wrapped = HPKE_SUITE.encrypt(data_key, recipient.encryption_key, info=info)
    return Stanza(recipient.party, recipient.encryption_key_id, wrapped)


def seal(
    payload: Input,
    label: Label,
    sender: PartyKeys,
    recipients: Sequence[PublicKeys],
    *,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[bytes]:
    """Seal ``payload`` for ``recipients``; yield the envelope's bytes piece by piece.

    The checks (the label's originator is the sender, at least one recipient, no key twice)
    are made at once; the payload is read as the pieces are consumed. Memory stays at a few
    chunks whatever the payload size.
    """
    if label.signer != sender.party:
        raise EnvelopeKeyError(
            f"label names {label.signer} as {_role(label)} but the keys are {sender.party}'s"
        )
    if not recipients:
        raise EnvelopeKeyError("an envelope needs at least one recipient")
    if len({r.encryption_key_id for r in recipients}) != len(recipients):
        raise EnvelopeKeyError("a recipient key is listed twice")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise EnvelopeMalformedError(f"chunk size {chunk_size} is out of range")
    drawn = functools.partial(_draw, label, sender, recipients, chunk_size)
    if isinstance(payload, bytes | bytearray | memoryview):
        view = memoryview(payload).cast("B")
        if len(view) <= chunk_size:
            return Single(functools.partial(_seal_single, view, sender, drawn))
    return _seal(payload, sender, drawn)


def _draw(
    label: Label, sender: PartyKeys, recipients: Sequence[PublicKeys], chunk_size: int
) -> tuple[Header, bytes]:
    """A new envelope's header and data key: the random values, and the key wrapped for
    each recipient."""
    data_key = os.urandom(DATA_KEY_SIZE)
    envelope_id = os.urandom(ENVELOPE_ID_SIZE)
    stanzas = tuple(
        wrap_key(
            data_key, r, header_id=envelope_id, label=label, wrapper_key_id=sender.signing_key_id
        )
        for r in recipients
    )
    header = Header(
        envelope_id=envelope_id,
        nonce_prefix=os.urandom(NONCE_PREFIX_SIZE),
        key_commitment=key_commitment(data_key, envelope_id),
        chunk_size=chunk_size,
        label=label,
        originator_key_id=sender.signing_key_id,
        recipients=stanzas,
    )
    return header, data_key


def _front_bytes(header_bytes: bytes) -> bytes:
    """What precedes the payload in the originator's envelope (no hop record yet)."""
    return preamble() + section(header_bytes) + section(hops_to_bytes(()))


def _seal_single(
    payload: memoryview, sender: PartyKeys, drawn: Callable[[], tuple[Header, bytes]]
) -> bytes:
    header, data_key = drawn()
    front = _front_bytes(header.to_bytes())
    return seal_single(payload, header, front, data_key, sender.signing_key)


def _seal(
    payload: Input, sender: PartyKeys, drawn: Callable[[], tuple[Header, bytes]]
) -> Iterator[bytes]:
    header, data_key = drawn()
    yield _front_bytes(header.to_bytes())
    digest = PayloadDigest()
    try:
        yield from encrypt_chunks(
            payload,
            key=data_key,
            prefix=header.nonce_prefix,
            aad=chunk_aad(header),
            chunk_size=header.chunk_size,
            digest=digest,
        )
        payload_digest = digest.digest()
    finally:
        digest.close()
    yield sender.signing_key.sign(signed_message(header, payload_digest))


@dataclass(frozen=True, slots=True)
class EnvelopeInfo:
    """What can be read from an envelope without its key."""

    version: int
    envelope_id: str
    label: Label
    originator_key_id: str
    chunk_size: int
    recipients: tuple[Stanza, ...]
    hops: tuple[Hop, ...]

    @property
    def all_recipients(self) -> tuple[Stanza, ...]:
        """The originator's recipients, then those added by re-wrapping hubs."""
        return self.recipients + tuple(s for h in self.hops for s in h.recipients)


@dataclass(frozen=True, slots=True)
class Front:
    """The parsed part of an envelope before its payload."""

    info: EnvelopeInfo
    header: Header
    header_bytes: bytes
    hops_bytes: bytes


def read_front(source: Readable) -> Front:
    version = read_preamble(source)
    header_bytes = read_section(source, "header")
    header = Header.from_bytes(header_bytes)
    hops_bytes = read_section(source, "hop records")
    hops = hops_from_bytes(hops_bytes)
    info = EnvelopeInfo(
        version=version,
        envelope_id=header.envelope_id.hex(),
        label=header.label,
        originator_key_id=header.originator_key_id,
        chunk_size=header.chunk_size,
        recipients=header.recipients,
        hops=hops,
    )
    return Front(info, header, header_bytes, hops_bytes)


def inspect(envelope: Input) -> EnvelopeInfo:
    """Read the label, originator and recipients' key ids without decrypting or verifying."""
    return read_front(readable(envelope)).info


def _role(label: Label) -> str:
    """What the label's signer is: the originator, or the holder that derived the item."""
    return "originator" if label.derived_by is None else "the holder that derived it"


def check_front(front: Front, directory: Directory) -> None:
    """Check originator, recipients and hop records against the pinned directory."""
    header = front.header
    party, _ = directory.signing_key(header.originator_key_id)
    if party != header.label.signer:
        raise EnvelopeUnverifiedError(
            f"label names {header.label.signer} as {_role(header.label)} but the envelope is "
            f"signed with a key of {party}"
        )
    for stanza in header.recipients:
        if directory.encryption_key_party(stanza.key_id) != stanza.party:
            raise EnvelopeUnverifiedError(f"recipient key {stanza.key_id} is not {stanza.party}'s")
    previous = b""
    for number, hop in enumerate(front.info.hops, start=1):
        _, hub_key = directory.signing_key(hop.hub_key_id)
        if (
            hop.envelope_id != header.envelope_id
            or hop.header_digest != header.digest()
            or hop.previous != previous
        ):
            raise EnvelopeUnverifiedError(
                f"hop record {number} belongs to another envelope or order"
            )
        with translated(EnvelopeUnverifiedError, f"hop record {number} signature does not verify"):
            hub_key.verify(hop.signature, hop.signed_bytes())
        for stanza in hop.recipients:
            if directory.encryption_key_party(stanza.key_id) != stanza.party:
                raise EnvelopeUnverifiedError(
                    f"recipient key {stanza.key_id} is not {stanza.party}'s"
                )
        previous = hop.digest()
    ids = [s.key_id for s in front.info.all_recipients]
    if len(set(ids)) != len(ids):
        raise EnvelopeUnverifiedError("a recipient key id appears twice across hops")


def unwrap_key(front: Front, keys: PartyKeys) -> bytes:
    """Find a stanza for one of ``keys`` and unwrap the data key from it."""
    mine = keys.decryption_keys()
    wrappers = [(s, front.header.originator_key_id) for s in front.header.recipients]
    wrappers += [(s, h.hub_key_id) for h in front.info.hops for s in h.recipients]
    for stanza, wrapper in wrappers:
        private: X25519PrivateKey | None = mine.get(stanza.key_id)
        if private is None:
            continue
        info = wrap_info(
            envelope_id=front.header.envelope_id,
            label=front.header.label,
            recipient_key_id=stanza.key_id,
            wrapper_key_id=wrapper,
        )
        with translated(
            EnvelopeUnverifiedError,
            f"the data key wrapped for {stanza.key_id} failed authentication",
        ):
            data_key = HPKE_SUITE.decrypt(stanza.wrapped_key, private, info=info)
        if len(data_key) != DATA_KEY_SIZE or not hmac.compare_digest(
            key_commitment(data_key, front.header.envelope_id), front.header.key_commitment
        ):
            raise EnvelopeUnverifiedError(
                f"the data key wrapped for {stanza.key_id} does not match the envelope's "
                "key commitment"
            )
        return data_key
    raise EnvelopeKeyError(
        f"the envelope is not addressed to any key of {keys.party} "
        f"(recipients: {', '.join(s.party for s, _ in wrappers)})"
    )


def verify_trailer(
    source: Readable, front: Front, payload_digest: bytes, directory: Directory
) -> bytes:
    """Read the trailer, insist on the end of the stream and verify the signature."""
    signature = read_exact(source, SIGNATURE_SIZE)
    if len(signature) < SIGNATURE_SIZE:
        raise EnvelopeUnverifiedError("envelope ends inside its signature (truncated)")
    if source.read(1):
        raise EnvelopeMalformedError("envelope has bytes after its signature")
    _, public = directory.signing_key(front.header.originator_key_id)
    verify_signature(public, signature, front.header, payload_digest)
    return bytes(signature)


def open(  # shadows the builtin on purpose (the command's name); this module never needs it
    envelope: Input,
    keys: PartyKeys,
    directory: Directory,
    *,
    already_opened: Container[str] = frozenset(),
) -> tuple[Label, Iterator[bytes]]:
    """Open an envelope addressed to ``keys``; return its label and its plaintext stream.

    Raises before returning if anything before the payload is wrong. The stream raises an
    :class:`~pactshare.errors.EnvelopeError` on the first bad chunk, and releases the last
    chunk only after the originator's signature verified. ``already_opened`` holds envelope
    ids (hex) seen before; presenting one again raises :class:`EnvelopeReplayedError`.
    """
    source = readable(envelope)
    front = read_front(source)
    if front.info.envelope_id in already_opened:
        raise EnvelopeReplayedError(f"envelope {front.info.envelope_id} was already opened")
    check_front(front, directory)
    data_key = unwrap_key(front, keys)
    if isinstance(envelope, bytes | bytearray | memoryview):
        rest = memoryview(source.read() or b"")
        if is_single_chunk(rest, front.header.chunk_size):
            _, public = directory.signing_key(front.header.originator_key_id)
            header = front.header
            opened = functools.partial(open_single, rest, header, data_key, public)
            return header.label, Single(opened)
        source = readable(rest)
    return front.header.label, _plaintext(source, front, data_key, directory)


def _plaintext(
    source: Readable, front: Front, data_key: bytes, directory: Directory
) -> Iterator[bytes]:
    digest = PayloadDigest()
    try:
        records = read_records(source, chunk_size=front.header.chunk_size, digest=digest)
        chunks = decrypt_chunks(
            records,
            key=data_key,
            prefix=front.header.nonce_prefix,
            aad=chunk_aad(front.header),
        )
        for last, plain in chunks:
            if last:
                verify_trailer(source, front, digest.digest(), directory)
                if plain:
                    yield plain
                return
            if plain:
                yield plain
    finally:
        digest.close()


def copy_verified(
    source: Readable, front: Front, directory: Directory
) -> Iterator[bytes | memoryview]:
    """Yield the payload records and the trailer verbatim, verifying as they pass.

    The trailer is yielded only once the signature verified, so a copy that ends without an
    error is a complete, authentic envelope.
    """
    digest = PayloadDigest()
    try:
        for _, _, head, body in read_records(
            source, chunk_size=front.header.chunk_size, digest=digest
        ):
            yield head
            yield body
        yield verify_trailer(source, front, digest.digest(), directory)
    finally:
        digest.close()


def verify(envelope: Input, directory: Directory) -> EnvelopeInfo:
    """Verify an envelope without its key: framing, hop records and the originator's
    signature over the ciphertext. Nothing is decrypted."""
    source = readable(envelope)
    front = read_front(source)
    check_front(front, directory)
    for _ in copy_verified(source, front, directory):
        pass
    return front.info
