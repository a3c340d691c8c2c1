"""HTTP Message Signatures (RFC 9421) with Ed25519 for requests between nodes.

Every federation request covers, in this order, ``@method``, ``@path``, ``content-digest``
(RFC 9530, SHA-256 of the body), ``content-type``, ``pactshare-message-id`` and
``pactshare-recipient`` (the party code of the node it is meant for, so that a request
signed for JPN cannot be replayed to USA; ``@authority`` would not do, as a reverse proxy
may rewrite the host), with the parameters ``created``, ``keyid`` (the sender's signing key
id in the pinned directory), ``alg="ed25519"`` and ``nonce``. The receiver accepts a
signature only from a key in its pinned directory (no trust on first use), only while fresh
(``created`` at most :data:`MAX_AGE` seconds old and at most :data:`MAX_SKEW` ahead, on the
real wall clock: this is transport time, not the node's simulated clock), only once (the
nonce is remembered for the freshness window), only if it names the receiver as its
recipient, and the body only if its digest matches. The signature base is built as
RFC 9421 §2.5 says; structured fields (RFC 8941) are read and written with ``http_sfv``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList, Item

from pactshare import seal
from pactshare.errors import EnvelopeKeyError, FederationError, translated

__all__ = [
    "COVERED",
    "LABEL",
    "MAX_AGE",
    "MAX_SKEW",
    "MESSAGE_ID",
    "NONCE_WINDOW",
    "RECIPIENT",
    "REPLAYED",
    "SignatureError",
    "SignedRequest",
    "content_digest",
    "digest_matches",
    "sign_request",
    "signature_base",
    "signing_headers",
    "verify_request",
]

MESSAGE_ID = "pactshare-message-id"
RECIPIENT = "pactshare-recipient"
COVERED = ("@method", "@path", "content-digest", "content-type", MESSAGE_ID, RECIPIENT)
LABEL = "pactshare"
ALG = "ed25519"
MAX_AGE = 300  # seconds a signature stays fresh
MAX_SKEW = 30  # seconds a sender's clock may run ahead of ours
NONCE_WINDOW = 2 * MAX_AGE  # seconds a nonce is kept: longer than any signature stays fresh
REPLAYED = "replayed request: this nonce was seen before"


class SignatureError(FederationError):
    """A request that is not signed as the federation requires; ``status`` is the HTTP answer
    (401 unauthenticated: unsigned, unknown key, bad signature, stale, replayed; 400 for a
    body whose digest does not match)."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a verified signature establishes: who sent it, with which key, which message."""

    party: str
    key_id: str
    message_id: str
    content_digest: str
    created: int
    nonce: str


def content_digest(chunks: Iterable[bytes]) -> str:
    """The RFC 9530 ``Content-Digest`` field value (sha-256) of a body given in chunks."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return _digest_field(digest.digest())


def _digest_field(raw: bytes) -> str:
    field = Dictionary()
    field["sha-256"] = Item(raw)
    return str(field)


def digest_matches(header: str, sha256: bytes) -> bool:
    """Does the ``Content-Digest`` field name exactly this SHA-256 (the one we support)?"""
    field = Dictionary()
    try:
        field.parse(header.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False
    member = field.get("sha-256")
    return isinstance(member, Item) and member.value == sha256


def _params(covered: Iterable[str], params: Mapping[str, int | str]) -> InnerList:
    inner = InnerList([Item(name) for name in covered])
    for key, value in params.items():
        inner.params[key] = value
    return inner


def signature_base(
    method: str,
    path: str,
    headers: Mapping[str, str],
    covered: Iterable[str],
    params: InnerList,
) -> bytes:
    """The signature base of RFC 9421 §2.5: one line per covered component, then the params.

    ``headers`` are looked up by lower-case name; ``@authority`` is the ``host`` header.
    """
    lower = {name.lower(): value for name, value in headers.items()}
    derived = {"@method": method.upper(), "@path": path, "@authority": lower.get("host", "")}
    lines = []
    for name in covered:
        value = derived.get(name) if name.startswith("@") else lower.get(name)
        if value is None:
            raise SignatureError(f"the signed component {name!r} is missing from the request")
        lines.append(f'"{name}": {value.strip()}')
    lines.append(f'"@signature-params": {params}')
    return "\n".join(lines).encode("utf-8")


def sign_request(
    method: str,
    path: str,
    headers: Mapping[str, str],
    *,
    key: Ed25519PrivateKey,
    key_id: str,
    created: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """The ``Signature-Input`` and ``Signature`` headers for a request with ``headers``
    (which must hold ``content-digest``, ``content-type``, ``pactshare-message-id`` and
    ``pactshare-recipient``)."""
    params = _params(
        COVERED,
        {"created": created, "keyid": key_id, "alg": ALG, "nonce": nonce or secrets.token_hex(16)},
    )
    base = signature_base(method, path, headers, COVERED, params)
    signature_input = Dictionary()
    signature_input[LABEL] = params
    signature = Dictionary()
    signature[LABEL] = Item(key.sign(base))
    return {"Signature-Input": str(signature_input), "Signature": str(signature)}


def _field(headers: Mapping[str, str], name: str) -> Dictionary:
    lower = {key.lower(): value for key, value in headers.items()}
    text = lower.get(name.lower())
    if text is None:
        raise SignatureError(f"unsigned request: no {name} header (RFC 9421 required)")
    field = Dictionary()
    try:
        field.parse(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SignatureError(f"{name}: not a structured field dictionary ({exc})") from exc
    return field


def _our_signature(
    headers: Mapping[str, str],
) -> tuple[InnerList, bytes]:
    inputs, signatures = _field(headers, "Signature-Input"), _field(headers, "Signature")
    params, signature = inputs.get(LABEL), signatures.get(LABEL)
    if not isinstance(params, InnerList) or not isinstance(signature, Item):
        raise SignatureError(f"no signature labelled {LABEL!r} in Signature-Input and Signature")
    if not isinstance(signature.value, bytes):
        raise SignatureError("Signature: the signature is not a byte sequence")
    covered = tuple(item.value for item in params)
    if covered != COVERED:
        raise SignatureError(f"the signature must cover {' '.join(COVERED)}, in that order")
    return params, signature.value


def verify_request(
    method: str,
    path: str,
    headers: Mapping[str, str],
    directory: seal.Directory,
    *,
    recipient: str,
    now: float,
    fresh_nonce: Callable[[str, str], bool],
) -> SignedRequest:
    """Check a request's signature (not yet its body: see :func:`digest_matches`).

    ``recipient`` is the receiving node's party code: a request signed for another party is
    refused. ``now`` is the real wall-clock time (POSIX seconds);
    ``fresh_nonce(nonce, key_id)`` returns False if the nonce was seen before (a replay); the
    receiver keeps it in the transaction of what the request does.
    """
    params, signature = _our_signature(headers)
    created, key_id = params.params.get("created"), params.params.get("keyid")
    alg, nonce = params.params.get("alg"), params.params.get("nonce")
    if not isinstance(created, int) or not isinstance(key_id, str) or not isinstance(nonce, str):
        raise SignatureError("Signature-Input: created, keyid and nonce are all required")
    if alg != ALG:
        raise SignatureError(f'Signature-Input: alg must be "{ALG}"')
    try:
        party, public_key = directory.signing_key(key_id)
    except EnvelopeKeyError as exc:
        raise SignatureError(
            f"signed by key {key_id!r}, which is not in the pinned directory"
        ) from exc
    base = signature_base(method, path, headers, COVERED, params)
    with translated(SignatureError, "the request signature does not verify"):
        public_key.verify(signature, base)
    if created < now - MAX_AGE:
        raise SignatureError(f"stale signature: created more than {MAX_AGE} s ago")
    if created > now + MAX_SKEW:
        raise SignatureError(f"signature created in the future (more than {MAX_SKEW} s ahead)")
    lower = {key.lower(): value for key, value in headers.items()}
    if lower[RECIPIENT].strip() != recipient:
        raise SignatureError(f"a request signed for another node, not for {recipient}")
    if not fresh_nonce(nonce, key_id):
        raise SignatureError(REPLAYED)
    return SignedRequest(party, key_id, lower[MESSAGE_ID], lower["content-digest"], created, nonce)


def signing_headers(
    keys: seal.PartyKeys,
    method: str,
    path: str,
    headers: Mapping[str, str],
    *,
    recipient: str,
    created: int,
) -> dict[str, str]:
    """``headers``, the ``pactshare-recipient`` header naming ``recipient`` (a party code),
    and this node's signature over them."""
    addressed = {**headers, RECIPIENT: recipient}
    signed = sign_request(
        method, path, addressed, key=keys.signing_key, key_id=keys.signing_key_id, created=created
    )
    return {**addressed, **signed}
