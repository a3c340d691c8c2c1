"""A hub's signed hop records: the ``hops`` section of an envelope (format v1).

::

    hops = length:u32 canonical-JSON-array    (a hub appends its signed hop record)

Each record says that a hub forwarded the envelope, or re-wrapped its data key for the next
recipients, when, and chains to the record before it (``previous``); the originator writes
an empty array. ``docs/envelope.md`` is the full specification.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pactshare.canonical import dumps as canonical_json
from pactshare.errors import EnvelopeMalformedError
from pactshare.seal._encoding import (
    DOMAIN_HOP,
    b64d,
    b64e,
    canonical_array,
    is_party_code,
    parse_canonical_json,
    parse_utc_text,
    sha256,
    utc_text,
)
from pactshare.seal.header import SIGNATURE_SIZE, Stanza, stanzas

__all__ = ["Hop", "HopKind", "hops_from_bytes", "hops_to_bytes"]

_HOP_KEYS = {"at", "envelope_id", "header_digest", "hub_key_id", "kind", "previous", "recipients"}


class HopKind(StrEnum):
    """What a hub did when it relayed the envelope: passed it on (``forward``) or wrapped the
    data key anew for the parties in ``to`` (``rewrap``)."""

    FORWARD = "forward"
    REWRAP = "rewrap"


@dataclass(frozen=True, slots=True)
class Hop:
    """A hub's signed record that it relayed the envelope, and any key it wrapped on."""

    kind: HopKind
    at: str
    envelope_id: bytes
    header_digest: bytes
    hub_key_id: str
    previous: bytes
    recipients: tuple[Stanza, ...]
    to: tuple[str, ...]
    signature: bytes

    def body(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "at": self.at,
            "envelope_id": b64e(self.envelope_id),
            "header_digest": b64e(self.header_digest),
            "hub_key_id": self.hub_key_id,
            "previous": b64e(self.previous),
            "recipients": [s.as_json() for s in self.recipients],
            "to": list(self.to),
        }

    def signed_bytes(self) -> bytes:
        return DOMAIN_HOP + canonical_json(self.body())

    def as_json(self) -> dict[str, object]:
        return {"body": self.body(), "signature": b64e(self.signature)}

    def digest(self) -> bytes:
        """What the next hop's ``previous`` must be: SHA-256 of this hop's canonical JSON."""
        return sha256(canonical_json(self.as_json()))

    @classmethod
    def from_json(cls, obj: object) -> Hop:
        if not isinstance(obj, dict) or set(obj) != {"body", "signature"}:
            raise ValueError("a hop must have exactly body and signature")
        body = obj["body"]
        if not isinstance(body, dict) or set(body) != _HOP_KEYS | {"to"}:
            raise ValueError("hop body fields are missing or unknown")
        kind, hub, to = body["kind"], body["hub_key_id"], body["to"]
        if kind not in tuple(HopKind) or not isinstance(hub, str):
            raise ValueError("hop kind or hub key id is bad")
        if not isinstance(to, list) or not to or not all(is_party_code(p) for p in to):
            raise ValueError("hop 'to' must list party codes")
        utc_at = utc_text(parse_utc_text(body["at"]))
        if utc_at != body["at"]:
            raise ValueError("hop instant is not canonical UTC text")
        signature = b64d(obj["signature"])
        if len(signature) != SIGNATURE_SIZE:
            raise ValueError("hop signature has the wrong size")
        recipients = stanzas(body["recipients"])
        wrapped_for = {stanza.party for stanza in recipients}
        kind = HopKind(kind)
        if (kind is HopKind.FORWARD and recipients) or (
            kind is HopKind.REWRAP and wrapped_for != set(to)
        ):
            raise ValueError(f"a {kind} hop's recipients do not match its 'to'")
        return cls(
            kind=kind,
            at=utc_at,
            envelope_id=b64d(body["envelope_id"]),
            header_digest=b64d(body["header_digest"]),
            hub_key_id=hub,
            previous=b64d(body["previous"]),
            recipients=recipients,
            to=tuple(to),
            signature=signature,
        )


def hops_to_bytes(hops: tuple[Hop, ...]) -> bytes:
    if not hops:
        return b"[]"  # what the originator writes
    return canonical_array(canonical_json(h.as_json()) for h in hops)


def hops_from_bytes(data: bytes) -> tuple[Hop, ...]:
    if data == b"[]":  # the common case: no hub on the way
        return ()
    try:
        obj = parse_canonical_json(data)
        if not isinstance(obj, list):
            raise ValueError("hops must be a list")
        hops = tuple(Hop.from_json(item) for item in obj)
        canonical = hops_to_bytes(hops)
    except ValueError as exc:
        raise EnvelopeMalformedError(f"envelope hop records are malformed ({exc})") from exc
    if canonical != data:
        raise EnvelopeMalformedError("envelope hop records are not in canonical form")
    return hops
