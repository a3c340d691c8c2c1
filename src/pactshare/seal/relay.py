"""Relaying an envelope through a hub, keeping the originator's signature verifiable.

Two cases, both adding the hub's signed hop record (:class:`~pactshare.seal.hops.Hop`):

* ``forward``: a hub that may not read passes the envelope on. The originator must already
  have wrapped the data key for the final recipient; the hop record names where it went.
* ``rewrap``: a hub that may read (it is a recipient) unwraps the data key and wraps it for
  the next recipients inside its hop record. Header, payload and signature are untouched.

Either way the hub verifies the whole envelope while copying it (the originator's signature
covers the ciphertext, so no key is needed for that) and yields the trailer last, only once
verified: a copy that completes without an error is authentic.

Only the front changes (preamble, header and hop records: the hub's record is appended); the
chunk records and the trailer are the original's, byte for byte. :class:`Relayed` says where
they begin in the original, so that a node can keep the new front alone beside the original.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from pactshare.errors import EnvelopeKeyError
from pactshare.seal._encoding import is_party_code, utc_text
from pactshare.seal.directory import Directory
from pactshare.seal.envelope import (
    Front,
    check_front,
    copy_verified,
    read_front,
    unwrap_key,
    wrap_key,
)
from pactshare.seal.header import Stanza, preamble, section
from pactshare.seal.hops import Hop, HopKind, hops_to_bytes
from pactshare.seal.keys import PartyKeys, PublicKeys
from pactshare.seal.stream import Input, Readable, readable

__all__ = ["Relayed", "forward", "rewrap"]


def _hop(
    front: Front,
    hub: PartyKeys,
    *,
    kind: HopKind,
    at: datetime,
    to: tuple[str, ...],
    recipients: tuple[Stanza, ...],
) -> Hop:
    hops = front.info.hops
    unsigned = Hop(
        kind=kind,
        at=utc_text(at),
        envelope_id=front.header.envelope_id,
        header_digest=front.header.digest(),
        hub_key_id=hub.signing_key_id,
        previous=hops[-1].digest() if hops else b"",
        recipients=recipients,
        to=to,
        signature=b"",
    )
    signature = hub.signing_key.sign(unsigned.signed_bytes())
    return dataclasses.replace(unsigned, signature=signature)


@dataclass(frozen=True, slots=True)
class Relayed:
    """A relayed envelope, iterated piece by piece: its new ``front`` (preamble, header and hop
    records), then the original's chunk records and trailer (``payload``), verified as they
    pass, which begin at byte ``payload_at`` of the original."""

    front: bytes
    payload_at: int
    payload: Iterator[bytes | memoryview]

    def __iter__(self) -> Iterator[bytes | memoryview]:
        yield self.front
        yield from self.payload


def _relayed(source: Readable, front: Front, hop: Hop, directory: Directory) -> Relayed:
    head = preamble() + section(front.header_bytes)
    return Relayed(
        front=head + section(hops_to_bytes((*front.info.hops, hop))),
        payload_at=len(head) + len(section(front.hops_bytes)),
        payload=copy_verified(source, front, directory),
    )


def forward(
    envelope: Input, hub: PartyKeys, directory: Directory, *, to: str, at: datetime
) -> Relayed:
    """Pass ``envelope`` on to party ``to`` without reading it; yield the relayed envelope."""
    if not is_party_code(to):
        raise EnvelopeKeyError(f"{to!r} is not a three-letter party code")
    source = readable(envelope)
    front = read_front(source)
    check_front(front, directory)
    if not any(s.party == to for s in front.info.all_recipients):
        raise EnvelopeKeyError(
            f"the data key is not wrapped for {to}; a hub that may not read cannot add it"
        )
    hop = _hop(front, hub, kind=HopKind.FORWARD, at=at, to=(to,), recipients=())
    return _relayed(source, front, hop, directory)


def rewrap(
    envelope: Input,
    hub: PartyKeys,
    directory: Directory,
    *,
    to: Sequence[PublicKeys],
    at: datetime,
) -> Relayed:
    """Wrap the data key of ``envelope`` (addressed to ``hub``) for ``to``; yield the result."""
    if not to:
        raise EnvelopeKeyError("rewrap needs at least one next recipient")
    source = readable(envelope)
    front = read_front(source)
    check_front(front, directory)
    data_key = unwrap_key(front, hub)
    present = {s.key_id for s in front.info.all_recipients}
    stanzas = []
    for recipient in to:
        if recipient.encryption_key_id in present:
            raise EnvelopeKeyError(f"{recipient.party} can already open this envelope")
        present.add(recipient.encryption_key_id)
        stanzas.append(
            wrap_key(
                data_key,
                recipient,
                header_id=front.header.envelope_id,
                label=front.header.label,
                wrapper_key_id=hub.signing_key_id,
            )
        )
    parties = tuple(sorted({r.party for r in to}))
    hop = _hop(front, hub, kind=HopKind.REWRAP, at=at, to=parties, recipients=tuple(stanzas))
    return _relayed(source, front, hop, directory)
