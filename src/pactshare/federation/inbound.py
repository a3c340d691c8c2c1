"""Every message a peer sends arrives here, whatever its kind, after its HTTP signature was
verified: one dispatcher, a map from document kind to handler.

A message is either a transfer package (``application/zip``: the item, received as the
courier path receives it) or one signed document (``application/json``: a diplomatic note,
a party's acceptance or rejection of a note, a visit request or answer, an authority notice,
an assurance before hand-over or its withdrawal,
consent request, approval or revocation, incident notice, reclassification notice, disposal
certificate). The party that signed the request must be the party that signed the document:
a node relays nobody else's words. Each message has a unique id; receiving it twice has one
effect and answers the same signed receipt (items) or acknowledgement (everything else).
The acknowledgement signs ``received_at``, the instant of receipt the handler was given: a
note or an acceptance counts from it on both copies (§5.1).

A handler may return a signed document of its own (a witness's cosignature of a tree head):
it is answered as ``reply`` beside the acknowledgement, and the sender's delivery passes it to
``pactshare.federation.delivery.REPLY_HANDLERS`` for the message kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from pactshare.audit import EntryKind
from pactshare.domain import parse_instant
from pactshare.domain.authority import TOLERANCE
from pactshare.errors import InputError, PackageError, RefusedError, StorageError
from pactshare.federation import relay, witness
from pactshare.federation.signatures import MESSAGE_ID, NONCE_WINDOW, REPLAYED, SignatureError
from pactshare.federation.storage.inbound import answered, record_answered
from pactshare.federation.storage.peers import remember_nonce
from pactshare.limits import MAX_DOCUMENT, check_id, parse_json
from pactshare.node import incidents, journal, laws
from pactshare.node.answers import ACCEPTANCE, REJECTION, document_digest, record_answer
from pactshare.node.assurances import ASSURANCE, WITHDRAWAL, record_assurance, record_withdrawal
from pactshare.node.authorities import NOTICE as AUTHORITY_NOTICE
from pactshare.node.authorities import record_authority_notice
from pactshare.node.consents import file_consent
from pactshare.node.custody import apply_reclassification_notice
from pactshare.node.documents import ACKNOWLEDGEMENT, sign_document, verify_document
from pactshare.node.laws import record_law_document
from pactshare.node.notes import record_note
from pactshare.node.packages import read_manifest
from pactshare.node.reception import ALREADY_RECEIVED, receive_opened
from pactshare.node.service import Node
from pactshare.node.visits import ANSWER as VISIT_ANSWER
from pactshare.node.visits import REQUEST as VISIT_REQUEST
from pactshare.node.visits import record_visit_answer, record_visit_request

__all__ = [
    "ACKNOWLEDGEMENT",
    "BATCH",
    "BATCH_MEDIA",
    "HANDLERS",
    "ITEM",
    "Inbound",
    "Nonce",
    "accept",
    "keep_nonce",
    "message_kinds",
]

log = logging.getLogger(__name__)

ZIP, JSON = "application/zip", "application/json"
ITEM = "item"  # the outbox kind of a transfer package; every other kind is a document's kind
BATCH, BATCH_MEDIA = "batch", "application/vnd.pactshare.batch+json"  # pactshare.federation.batch

#: (node, signing party, document, where, the instant of receipt) → an optional signed reply.
#: The instant of receipt is the one the acknowledgement signs (a note counts from it, §5.1).
Handler = Callable[[Node, str, dict[str, Any], str, datetime], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Nonce:
    """A verified request's nonce, with the key that signed it and when it arrived (real
    time): kept in the transaction of what the request does (:func:`accept`)."""

    value: str
    key_id: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class Inbound:
    """A verified request: who sent it (from its signature), its id, type and body file, when
    it was signed (RFC 9421 ``created``, real time, checked fresh; None if unknown) and its
    nonce (None: a message not carried by a request, nothing to keep)."""

    sender: str
    message_id: str
    content_type: str
    body: Path
    created: datetime | None = None
    nonce: Nonce | None = None


class _Joined:
    """A request's nonce, kept in the first transaction of what the request does that takes
    it (that transaction refuses a replay that got there first), or in its own."""

    def __init__(self, nonce: Nonce | None) -> None:
        self.nonce = nonce
        self.taken = False

    def __call__(self, tx: Connection) -> None:
        if self.nonce is None:
            return
        nonce = self.nonce
        fresh = remember_nonce(
            tx, nonce.value, nonce.key_id, now=nonce.seen_at, window=NONCE_WINDOW
        )
        if not fresh and not self.taken:  # kept by another request since we checked it
            raise SignatureError(REPLAYED)
        self.taken = True  # a rolled-back transaction took it: the next one keeps it

    def keep(self, node: Node) -> None:
        """Keep the nonce in a transaction of its own (a no-op if it is kept already, or if
        there is none: a batch's member, whose request's nonce the batch keeps)."""
        if self.nonce is None:
            return
        with node.db.atomic() as tx:
            self(tx)


def keep_nonce(node: Node, nonce: Nonce) -> None:
    """Keep the nonce of a request refused before it was applied (in its own transaction)."""
    _Joined(nonce).keep(node)


def accept(node: Node, message: Inbound) -> dict[str, Any]:
    """Apply ``message`` once; answer ``{"message_id", "receipt"}`` (a signed document), and
    ``"reply"`` when the handler signed one. The request's nonce is kept in the transaction
    that records what the message does; if it fails, in one of its own."""
    joined = _Joined(message.nonce)
    try:
        answer = _accept(node, message, joined)
    except SignatureError:
        raise
    except BaseException:
        joined.keep(node)
        raise
    if not joined.taken:
        joined.keep(node)
    return answer


def _accept(node: Node, message: Inbound, joined: _Joined) -> dict[str, Any]:
    try:
        check_id(message.message_id, what=MESSAGE_ID)
    except InputError as exc:
        raise PackageError(str(exc)) from exc
    media_type = message.content_type.split(";", 1)[0].strip().lower()
    if media_type == ZIP:
        try:
            answer = {"receipt": _item(node, message, joined)}
        except RefusedError as exc:  # name the message, not the file we spooled it to
            raise RefusedError(_named(exc, message), reasons=exc.reasons) from exc
        except PackageError as exc:
            raise PackageError(_named(exc, message)) from exc
    elif media_type == JSON:
        answer = _document(node, message, joined)
    else:
        raise PackageError(f"content-type: {media_type!r} is neither {ZIP} nor {JSON}")
    return {"message_id": message.message_id, **answer}


def _named(error: Exception, message: Inbound) -> str:
    return str(error).replace(str(message.body), f"message {message.message_id}")


def _item(node: Node, message: Inbound, joined: _Joined) -> dict[str, Any]:
    where = f"message {message.message_id}"
    manifest, archive = read_manifest(message.body, node.directory, source=where)
    with archive:
        if manifest.sender != message.sender:
            raise PackageError(
                f"{where}: signed by {message.sender}, but the package is from {manifest.sender}"
            )
        if manifest.package_id != message.message_id:
            raise PackageError(f"{where}: the message id must be the package id")
        reception = receive_opened(node, manifest, archive, source=where, joined=joined)
    final = str(manifest.body.get("final_recipient", node.party_code))
    if final != node.party_code:  # we are the hub: ask the originator (R-TISA-6 step 2)
        new_hop = reception.custody != ALREADY_RECEIVED
        relay.await_consent(node, str(manifest.body["item_id"]), final, new_hop=new_hop)
    return reception.receipt


def _document(node: Node, message: Inbound, joined: _Joined) -> dict[str, Any]:
    where = f"message {message.message_id}"
    if message.body.stat().st_size > MAX_DOCUMENT:
        raise PackageError(f"{where}: a document larger than {MAX_DOCUMENT} bytes")
    try:
        document = parse_json(message.body.read_bytes(), what=where)
        kind = str(document["kind"])
    except InputError as exc:
        raise PackageError(str(exc)) from exc
    except (KeyError, TypeError) as exc:
        raise PackageError(f"{where}: not a signed JSON document ({exc})") from exc
    handler = HANDLERS.get(kind)
    if handler is None:
        known = ", ".join(sorted(HANDLERS))
        raise PackageError(f"{where}: no message of kind {kind!r} (known: {known})")
    signer, body = verify_document(document, node.directory, kind=kind, where=where)
    if signer != message.sender:
        raise PackageError(f"{where}: sent by {message.sender} but signed by {signer}")
    if kind in TIMED and message.created is not None:
        _signed_before(body, message.created, where)
    # Witnessing keeps the evidence of a fork even as it refuses the message, so it runs in
    # its own transactions (and is idempotent by itself: the same head, the same answer).
    early = handler(node, signer, document, where, node.now()) if kind in OWN_TRANSACTION else None
    try:
        return _apply(
            node, message, document, handler=handler, signer=signer, early=early, joined=joined
        )
    except StorageError:
        # The same message delivered twice at once (a retry racing a slow first attempt):
        # the other request recorded it first; answer what it answered.
        with node.db.atomic() as tx:
            earlier = answered(tx, message.message_id)
            if earlier is not None:
                joined(tx)
        if earlier is None:
            raise
        return earlier


def _signed_before(body: dict[str, Any], created: datetime, where: str) -> None:
    """A note or an answer cannot be signed after the request that carries it (whose signing
    time is real time, checked fresh): its signed instant is bounded by it too."""
    try:
        issued = parse_instant(str(body["issued_at"]), what=f"{where}: issued_at")
    except KeyError as exc:
        raise PackageError(f"{where}: no issued_at") from exc
    except InputError as exc:
        raise PackageError(str(exc)) from exc
    if issued.astimezone(UTC) > created.astimezone(UTC) + TOLERANCE:
        raise RefusedError(
            f"{where}: refused",
            reasons=(f"signed at {issued.isoformat()}, after the request carrying it",),
        )


def _apply(
    node: Node,
    message: Inbound,
    document: dict[str, Any],
    *,
    handler: Handler,
    signer: str,
    early: dict[str, Any] | None,
    joined: _Joined,
) -> dict[str, Any]:
    """Apply the document once and record the answer, in one transaction (which keeps the
    request's nonce)."""
    kind, where, now = str(document["kind"]), f"message {message.message_id}", node.now()
    with node.db.atomic() as tx:
        joined(tx)
        earlier = answered(tx, message.message_id)
        if earlier is not None:
            return earlier
        reply = early if kind in OWN_TRANSACTION else handler(node, signer, document, where, now)
        acknowledgement = sign_document(
            ACKNOWLEDGEMENT,
            {
                "message_id": message.message_id,
                "kind": kind,
                "sender": signer,
                "receiver": node.party_code,
                "document_digest": document_digest(document),
                "received_at": now.isoformat(),
            },
            node.keys,
        )
        answer = {"receipt": acknowledgement, **({"reply": reply} if reply else {})}
        record_answered(
            tx,
            message.message_id,
            kind=kind,
            sender=signer,
            document=document,
            answer=answer,
            at=now,
        )
    log.info(
        "message applied", extra={"message_id": message.message_id, "kind": kind, "from": signer}
    )
    return answer


def _note(node: Node, _signer: str, document: dict[str, Any], where: str, at: datetime) -> None:
    record_note(node, document, where=where, received_at=at)


def _answer(node: Node, _signer: str, document: dict[str, Any], where: str, at: datetime) -> None:
    record_answer(node, document, where=where, received_at=at)


def _authority(
    node: Node, _signer: str, document: dict[str, Any], where: str, at: datetime
) -> None:
    record_authority_notice(node, document, where=where, received_at=at)  # R-DEF-3


def _visit(node: Node, _signer: str, document: dict[str, Any], where: str, at: datetime) -> None:
    record = record_visit_request if document["kind"] == VISIT_REQUEST else record_visit_answer
    record(node, document, where=where, received_at=at)  # R-VIS-1, R-SEC-1, R-DEF-3


def _laws(node: Node, _signer: str, document: dict[str, Any], where: str, at: datetime) -> None:
    record_law_document(node, document, where=where, received_at=at)  # R-LAW-1


def _assurance(
    node: Node, _signer: str, document: dict[str, Any], where: str, at: datetime
) -> None:
    record = record_assurance if document["kind"] == ASSURANCE else record_withdrawal
    record(node, document, where=where, received_at=at)  # R-ACC-4, Art. 7(5)


def _consent(node: Node, _signer: str, document: dict[str, Any], where: str, _at: datetime) -> None:
    body = file_consent(node, document, where=where)
    if document["kind"] == "approval":
        relay.consent_arrived(node, body)


def _consent_request(
    node: Node, signer: str, document: dict[str, Any], where: str, _at: datetime
) -> None:
    body = document["body"]
    if body.get("holder") != signer or body.get("originator") != node.party_code:
        raise PackageError(f"{where}: a consent request must come from the holder, to us")
    _item_id(body, where)
    _log(node, EntryKind.CONSENT, signer, body, {"request_received": body})


def _reclassification(
    node: Node, _signer: str, document: dict[str, Any], where: str, _at: datetime
) -> None:
    apply_reclassification_notice(node, document, where=where)


def _incident_notice(
    node: Node, _signer: str, document: dict[str, Any], where: str, _at: datetime
) -> None:
    incidents.receive_notice(node, document, where=where)  # checks the signer is the holder


def _holder_notice(journal_kind: EntryKind) -> Handler:
    """Disposal certificates: the originator files what its holders tell it (R-PRO-8)."""

    def handle(
        node: Node, signer: str, document: dict[str, Any], where: str, _at: datetime
    ) -> None:
        body = document["body"]
        if body.get("holder") != signer or body.get("originator", node.party_code) != (
            node.party_code
        ):
            raise PackageError(f"{where}: a {document['kind']} must come from the holder")
        _item_id(body, where)
        _log(node, journal_kind, signer, body, {"received": document["kind"], "notice": body})

    return handle


def _item_id(body: dict[str, Any], where: str) -> str:
    """The item a document is about, an id of the one grammar."""
    try:
        return check_id(body.get("item_id"), what=f"{where}: body.item_id")
    except InputError as exc:
        raise PackageError(str(exc)) from exc


def _log(
    node: Node, kind: EntryKind, actor: str, body: dict[str, Any], details: dict[str, Any]
) -> None:
    with node.db.atomic() as tx:
        journal.record(
            tx,
            kind=kind,
            at=node.now(),
            actor=actor,
            subject=str(body.get("item_id", "")),
            details=details,
        )


def _tree_head(
    node: Node, signer: str, document: dict[str, Any], _where: str, _at: datetime
) -> dict[str, Any]:
    return witness.witness_head(node, signer, document)  # the cosignature is the reply


def _witnessed_heads(
    node: Node, signer: str, document: dict[str, Any], _where: str, _at: datetime
) -> None:
    witness.compare_seen_heads(node, signer, document)


HANDLERS: dict[str, Handler] = {
    "diplomatic-note": _note,
    ACCEPTANCE: _answer,
    REJECTION: _answer,
    "consent-request": _consent_request,
    "approval": _consent,
    "revocation": _consent,
    "reclassification": _reclassification,
    incidents.NOTICE: _incident_notice,
    "disposal-certificate": _holder_notice(EntryKind.NOTICE),
    witness.TREE_HEAD: _tree_head,
    witness.WITNESSED_HEADS: _witnessed_heads,
    VISIT_REQUEST: _visit,
    VISIT_ANSWER: _visit,
    AUTHORITY_NOTICE: _authority,
    laws.INQUIRY: _laws,
    laws.STATEMENT: _laws,
    ASSURANCE: _assurance,
    WITHDRAWAL: _assurance,
}
OWN_TRANSACTION = frozenset({witness.TREE_HEAD, witness.WITNESSED_HEADS})
# Signed no later than the request that carries them (notes and answers count from receipt).
TIMED = frozenset(
    {
        "diplomatic-note",
        ACCEPTANCE,
        REJECTION,
        VISIT_REQUEST,
        VISIT_ANSWER,
        AUTHORITY_NOTICE,
        laws.INQUIRY,
        laws.STATEMENT,
        ASSURANCE,
        WITHDRAWAL,
    }
)


def message_kinds() -> tuple[str, ...]:
    """The message kinds this node accepts, as ``GET /federation/v1/info`` announces them: the
    transfer package, a batch of messages, and every document kind with a handler (a new
    handler announces itself)."""
    return tuple(sorted({ITEM, BATCH, *HANDLERS}))
