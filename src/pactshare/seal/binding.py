"""What an envelope binds its parts with: the originator's signed message and its check, the
chunks' associated data, the key commitment and the HPKE ``info`` of each wrapped key
(``docs/envelope.md``, sections Wrapping, Key commitment, Chunks and Signature).
"""

from __future__ import annotations

import hmac
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pactshare.errors import EnvelopeUnverifiedError, translated
from pactshare.seal._encoding import (
    DOMAIN_CHUNK,
    DOMAIN_KEY_COMMITMENT,
    DOMAIN_SIGNATURE,
    DOMAIN_WRAP,
    lp,
    lp_list,
    sha256,
)
from pactshare.seal.header import VERSION, Header
from pactshare.seal.label import Label

__all__ = ["chunk_aad", "key_commitment", "signed_message", "verify_signature", "wrap_info"]


def signed_message(header: Header, payload_digest: bytes) -> bytes:
    """The bytes the originator signs: version, canonical label, payload digest, recipient key
    ids, and the digest of the whole header (which binds every other header field)."""
    return (
        DOMAIN_SIGNATURE
        + struct.pack(">H", VERSION)
        + lp(header.label.canonical_bytes())
        + lp(payload_digest)
        + lp_list([s.key_id.encode("utf-8") for s in header.recipients])
        + lp(header.digest())
    )


def verify_signature(
    public_key: Ed25519PublicKey,
    signature: bytes | memoryview,
    header: Header,
    payload_digest: bytes,
) -> None:
    """Verify the originator's signature; :class:`EnvelopeUnverifiedError` if it fails."""
    with translated(
        EnvelopeUnverifiedError,
        "the originator's signature does not match the label, recipients and payload",
    ):
        public_key.verify(signature, signed_message(header, payload_digest))


def chunk_aad(header: Header) -> bytes:
    """Associated data of every chunk: binds the chunks to this exact header."""
    return DOMAIN_CHUNK + header.digest()


def key_commitment(data_key: bytes, envelope_id: bytes) -> bytes:
    """HMAC-SHA256 of the envelope id under the data key: commits the envelope to one key, so
    that no two recipients can be given different keys that decrypt the same ciphertext to
    different plaintexts (AES-GCM alone is not key-committing)."""
    return hmac.digest(data_key, DOMAIN_KEY_COMMITMENT + envelope_id, "sha256")


def wrap_info(
    *, envelope_id: bytes, label: Label, recipient_key_id: str, wrapper_key_id: str
) -> bytes:
    """HPKE ``info`` for wrapping the data key: binds envelope, label and both key ids."""
    return (
        DOMAIN_WRAP
        + struct.pack(">H", VERSION)
        + lp(envelope_id)
        + lp(sha256(label.canonical_bytes()))
        + lp(recipient_key_id.encode("utf-8"))
        + lp(wrapper_key_id.encode("utf-8"))
    )
