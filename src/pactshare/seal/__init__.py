"""Sealed envelopes: protection that travels with the item.

An item is encrypted in chunks (AES-256-GCM, STREAM construction) under a fresh data key,
which is wrapped for each recipient with HPKE (RFC 9180); its security label is canonicalised
(RFC 8785) and signed (Ed25519) by the originator together with the digest of the ciphertext
and the recipients' key ids. ``docs/envelope.md`` specifies format v1 byte by byte.

::

    from pactshare import seal
    chunks = seal.seal(payload, label, sender_keys, [directory.current("JPN")])
    label, plaintext = seal.open(envelope, recipient_keys, directory)
"""

from pactshare.seal.directory import Directory, PublicKeyRecord
from pactshare.seal.envelope import EnvelopeInfo, inspect, open, seal, verify
from pactshare.seal.header import VERSION
from pactshare.seal.keys import (
    KeyGeneration,
    PartyKeys,
    PublicKeys,
    init_keys,
    load_keys,
    rotate_keys,
)
from pactshare.seal.label import Label, label_digest
from pactshare.seal.relay import Relayed, forward, rewrap
from pactshare.seal.stream import CHUNK_SIZE

__all__ = [
    "CHUNK_SIZE",
    "VERSION",
    "Directory",
    "EnvelopeInfo",
    "KeyGeneration",
    "Label",
    "PartyKeys",
    "PublicKeyRecord",
    "PublicKeys",
    "Relayed",
    "forward",
    "init_keys",
    "inspect",
    "label_digest",
    "load_keys",
    "open",
    "rewrap",
    "rotate_keys",
    "seal",
    "verify",
]
