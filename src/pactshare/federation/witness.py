"""Witnessing: peers cosign each other's signed tree heads and compare what they were shown.

A signed tree head only commits a node to *a* history; nothing stops a dishonest node from
signing two histories and showing one to each peer (a split view). Witnesses close that gap:

1. **Cosigning.** A node sends each peer (its witness) its latest signed head and an RFC 9162
   consistency proof from the size that peer last cosigned (:func:`tree_head_message`). The
   witness checks the document's and the head's signatures against the pinned directory and
   that the head extends the last one it cosigned — or, at the same size, has the same root —
   then cosigns it (:func:`witness_head`); the node keeps the cosignature
   (:func:`record_cosignature`). A head that does not extend the witnessed one is a fork, and
   so is a head smaller than one we know and signed *later* than it: a log only grows, so the
   two prove a rollback (an operator who cut their log back and re-signed it). These checks
   come before the "already cosigned" answer; a stale or retried message is not evidence.
2. **Gossip.** Witnesses tell each other the latest head of every third party they cosigned
   (:func:`seen_heads_message`); each compares them with its own view
   (:func:`compare_seen_heads`). Two signed heads of one log with the same size and different
   roots prove a fork by themselves, to anyone holding the log's public key. A head of another
   size is recorded as seen: without the log's tree there is no proof to check it against,
   but it is compared with every head of its size that arrives later, and a gossiped head
   smaller than one we know and signed later proves a rollback as above.

A detected fork is recorded (the table ``forks``, with both signed heads as evidence, and an
``incident`` entry in our audit log) before :class:`~pactshare.errors.ForkDetectedError` is
raised, so the evidence outlives the refusal.

Message kinds (signed documents, :mod:`pactshare.node.documents`), their bodies and who
handles them:

- ``tree-head`` (log → witness): ``{"log", "witness", "head", "proof"}``, ``proof`` being
  ``{"from_size", "hashes"}`` or null; handled by :func:`witness_head`, which answers with
- ``cosignature`` (witness → log): ``{"log", "witness", "head"}``, the head carrying the
  witness's cosignature; handled by :func:`record_cosignature`;
- ``witnessed-heads`` (witness → witness): ``{"witness", "to", "heads"}``; handled by
  :func:`compare_seen_heads`.

Heads travel as the JSON object of :meth:`~pactshare.audit.SignedTreeHead.to_json`. What a
witness holds can also be asked for (:mod:`pactshare.federation.attestation`).

Every cosignature kept and every head witnessed is an entry in the keeper's own audit log, so
a log is never quiet after a round: run witnessing rounds on a timer, not on log growth.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, func, insert, select

from pactshare import audit
from pactshare.audit import EntryKind
from pactshare.errors import (
    EnvelopeKeyError,
    ForkDetectedError,
    InvalidProofError,
    InvalidTreeHeadError,
    PackageError,
)
from pactshare.federation.peers import list_peers
from pactshare.node import journal
from pactshare.node.documents import sign_document, verify_document
from pactshare.node.outbox import queue_message
from pactshare.node.service import Node
from pactshare.store import schema

__all__ = [
    "COSIGNATURE",
    "TREE_HEAD",
    "WITNESSED_HEADS",
    "compare_seen_heads",
    "cosignatures",
    "forks",
    "queue_round",
    "record_cosignature",
    "seen_heads_message",
    "tree_head_message",
    "witness_head",
]

TREE_HEAD = "tree-head"
COSIGNATURE = "cosignature"
WITNESSED_HEADS = "witnessed-heads"

_HASH_HEX = 2 * audit.HASH_SIZE


@dataclass(frozen=True)
class _Fork:
    """Two signed heads of one log that cannot both be true, and how we learnt of them."""

    party: str
    reported_by: str
    reason: str
    seen: audit.SignedTreeHead
    shown: audit.SignedTreeHead
    proof: dict[str, Any] | None = None

    def evidence(self) -> dict[str, Any]:
        evidence: dict[str, Any] = {
            "party": self.party,
            "seen": _head_json(self.seen),
            "shown": _head_json(self.shown),
        }
        if self.proof is not None:
            evidence["proof"] = self.proof
        return evidence

    def id(self) -> str:
        """The same two heads are one fork, whoever reported them and in whichever order."""
        pair = sorted(_bare(head).to_json() for head in (self.seen, self.shown))
        return hashlib.sha256(rfc8785.dumps([self.party, *pair])).hexdigest()

    def error(self) -> ForkDetectedError:
        return ForkDetectedError(
            f"the log of {self.party} forked: {self.reason}",
            party=self.party,
            evidence=self.evidence(),
        )


# --- the log's side -------------------------------------------------------------------------


def tree_head_message(node: Node, peer: str) -> dict[str, Any]:
    """The signed ``tree-head`` document asking witness ``peer`` to cosign our log as it is now.

    The head is signed now if entries were added since the last one; the proof runs from the
    size ``peer`` last cosigned (none the first time), so the witness can check we only grew.
    """
    with node.db.atomic() as tx:
        signed = journal.sign_head(
            tx, node.keys.signing_key, node.keys.signing_key_id, at=node.now()
        )
        last = tx.execute(
            select(func.max(schema.cosignatures.c.size)).where(
                schema.cosignatures.c.witness == peer
            )
        ).scalar_one_or_none()
        proof = None
        if last is not None:
            if last > signed.size:
                raise InvalidProofError(
                    f"{peer} cosigned our log at size {last} but it has only {signed.size} "
                    "entries now: it was rolled back, and no proof can show it grew"
                )
            hashes = journal.consistency(tx, last, signed.size)
            proof = {"from_size": last, "hashes": [h.hex() for h in hashes]}
    body = {"log": node.party_code, "witness": peer, "head": _head_json(signed), "proof": proof}
    return sign_document(TREE_HEAD, body, node.keys)


def queue_round(node: Node) -> list[str]:
    """Queue one witnessing round in the outbox: our head for every peer to cosign, and the
    heads we witnessed for every peer to compare. A kind still pending for a peer is not queued
    again (a newer head would only wait behind it); an empty list of heads is not sent."""
    queued = []
    for peer in (p.party for p in list_peers(node)):
        for kind, make in ((TREE_HEAD, tree_head_message), (WITNESSED_HEADS, seen_heads_message)):
            with node.db.atomic() as tx:
                waiting = tx.execute(
                    select(schema.outbox.c.id).where(
                        schema.outbox.c.kind == kind,
                        schema.outbox.c.recipient == peer,
                        schema.outbox.c.state == "pending",
                    )
                ).first()
            if waiting is not None:
                continue
            document = make(node, peer)
            if kind == WITNESSED_HEADS and not document["body"]["heads"]:
                continue
            with node.db.atomic() as tx:
                queued.append(
                    queue_message(tx, kind=kind, recipient=peer, payload=document, at=node.now())
                )
    return queued


def record_cosignature(node: Node, witness: str, document: dict[str, Any]) -> None:
    """Keep the cosignature ``witness`` returned for one of our heads (once), and journal it."""
    where = f"cosignature from {witness}"
    body = _verified_body(node, document, COSIGNATURE, witness, where)
    if body.get("log") != node.party_code or body.get("witness") != witness:
        raise PackageError(f"{where}: it is not {witness}'s cosignature of our log")
    head = _parse_head(body.get("head"), where)
    _log_key(node, head, node.party_code)  # ours, by any generation of our key
    _verify_cosignature(node, head, witness)
    with node.db.atomic() as tx:
        known = tx.execute(
            select(schema.cosignatures.c.size).where(
                schema.cosignatures.c.witness == witness,
                schema.cosignatures.c.size == head.size,
            )
        ).first()
        if known is not None:
            return
        now = node.now()
        tx.execute(
            insert(schema.cosignatures).values(
                witness=witness, size=head.size, head=_head_json(head), received_at=now
            )
        )
        journal.record(
            tx,
            kind=EntryKind.EVENT,
            at=now,
            actor=witness,
            subject=node.party_code,
            details={
                "event": "head-cosigned",
                "witness": witness,
                "size": head.size,
                "root": head.root.hex(),
            },
        )


# --- the witness's side ---------------------------------------------------------------------


def witness_head(node: Node, sender: str, document: dict[str, Any]) -> dict[str, Any]:
    """Check ``sender``'s ``tree-head`` document and answer with our signed ``cosignature``.

    Refused (an :class:`~pactshare.errors.AuditIntegrityError`, nothing kept) when a signature
    does not verify, the head is older than the one we cosigned, or the proof from that one is
    missing. A head that contradicts what we know of ``sender``'s log — a head of the same size
    with another root, or a proof that does not lead from our head to it — is a fork: recorded
    with its evidence, then raised as :class:`~pactshare.errors.ForkDetectedError`; so is a
    head smaller than the largest we know and signed later than it (a rollback), even one of
    a size we cosigned. Answering the same head twice, or an older one we cosigned when it was
    current, gives the same cosignature and changes nothing.
    """
    where = f"tree head from {sender}"
    body = _verified_body(node, document, TREE_HEAD, sender, where)
    if body.get("log") != sender or body.get("witness") != node.party_code:
        raise PackageError(f"{where}: it is not {sender}'s head sent to {node.party_code}")
    head = _parse_head(body.get("head"), where)
    log_key = _log_key(node, head, sender)
    proof = _parse_proof(body.get("proof"), where)
    with node.db.atomic() as tx:
        # Evidence first: a head we already cosigned must not shortcut a contradiction.
        fork = _same_size_conflict(tx, sender, sender, head) or _rolled_back(
            tx, sender, sender, head
        )
        if fork is None:
            known = _direct_head(tx, sender, head.size)
            if known is not None and known.root == head.root:
                return _cosignature_document(node, sender, known)  # a retry, or a stale head
            fork = _check_extends(tx, sender, head, proof)
        if fork is None:
            cosigned = audit.cosign(
                _bare(head), node.keys.signing_key, node.keys.signing_key_id, log_key=log_key
            )
            _store_head(tx, node, cosigned, party=sender, via=sender)
            return _cosignature_document(node, sender, cosigned)
        _record_fork(tx, node, fork)
    raise fork.error()


def seen_heads_message(node: Node, peer: str) -> dict[str, Any]:
    """The signed ``witnessed-heads`` document for witness ``peer``: the latest head we
    cosigned of every third party (neither us nor ``peer``), with our cosignature on it."""
    table = schema.witnessed_heads
    with node.db.atomic() as tx:
        rows = tx.execute(
            select(table.c.party, table.c.head)
            .where(table.c.via == table.c.party, table.c.party.not_in([node.party_code, peer]))
            .order_by(table.c.party, table.c.size)
        ).all()
    latest = {row.party: row.head for row in rows}  # ordered by size: the last one wins
    body = {"witness": node.party_code, "to": peer, "heads": list(latest.values())}
    return sign_document(WITNESSED_HEADS, body, node.keys)


def compare_seen_heads(node: Node, sender: str, document: dict[str, Any]) -> None:
    """Compare the heads witness ``sender`` cosigned with every head we know of the same logs.

    Each head must carry a valid signature of its log and ``sender``'s valid cosignature;
    heads of logs whose keys we do not pin, of our own log and of ``sender``'s are skipped.
    A head of the same size as one we know but with another root, or smaller than one we know
    and signed later, is a fork (recorded, then
    :class:`~pactshare.errors.ForkDetectedError`); any other head is recorded as seen via
    ``sender``, to be compared with heads that arrive later.
    """
    where = f"witnessed heads from {sender}"
    body = _verified_body(node, document, WITNESSED_HEADS, sender, where)
    if body.get("witness") != sender or body.get("to") != node.party_code:
        raise PackageError(f"{where}: it is not {sender}'s list sent to {node.party_code}")
    raw_heads = body.get("heads")
    if not isinstance(raw_heads, list):
        raise PackageError(f"{where}: 'heads' must be a list")
    shown: list[tuple[str, audit.SignedTreeHead]] = []
    for position, raw in enumerate(raw_heads):
        head = _parse_head(raw, f"{where}, heads[{position}]")
        try:
            party, _ = node.directory.signing_key(head.key_id)
        except EnvelopeKeyError:
            continue  # a log we do not pin: we cannot check it, nor hold it against anyone
        if party in (node.party_code, sender):
            continue
        _log_key(node, head, party)
        _verify_cosignature(node, head, sender)
        shown.append((party, head))
    found: list[_Fork] = []
    with node.db.atomic() as tx:
        for party, head in shown:
            fork = _same_size_conflict(tx, party, sender, head) or _rolled_back(
                tx, party, sender, head
            )
            if fork is not None:
                _record_fork(tx, node, fork)
                found.append(fork)
            elif not _known_size(tx, party, head.size):  # a head we know adds nothing
                _store_head(tx, node, head, party=party, via=sender)
    if found:
        raise found[0].error()


# --- views ----------------------------------------------------------------------------------


def cosignatures(tx: Connection, size: int | None = None) -> list[dict[str, Any]]:
    """Witnesses' cosignatures of our heads (of the head at ``size`` only, if given)."""
    table = schema.cosignatures
    query = select(table).order_by(table.c.size, table.c.witness)
    if size is not None:
        query = query.where(table.c.size == size)
    return [
        {
            "witness": row.witness,
            "size": row.size,
            "root": row.head["root"],
            "timestamp": row.head["timestamp"],
            "received_at": row.received_at.isoformat(),
            "head": row.head,
        }
        for row in tx.execute(query)
    ]


def forks(tx: Connection) -> list[dict[str, Any]]:
    """Forks detected in peers' logs, oldest first, each with its evidence."""
    table = schema.forks
    return [
        {
            "id": row.id,
            "party": row.party,
            "reported_by": row.reported_by,
            "reason": row.reason,
            "detected_at": row.detected_at.isoformat(),
            "evidence": row.evidence,
        }
        for row in tx.execute(select(table).order_by(table.c.detected_at, table.c.id))
    ]


# --- checks ---------------------------------------------------------------------------------


def _check_extends(
    tx: Connection, sender: str, head: audit.SignedTreeHead, proof: dict[str, Any] | None
) -> _Fork | None:
    """Whether ``head`` extends the latest head of ``sender`` we cosigned; refuse if unproven."""
    table = schema.witnessed_heads
    stored = tx.execute(
        select(table.c.head)
        .where(table.c.party == sender, table.c.via == sender)
        .order_by(table.c.size.desc())
        .limit(1)
    ).scalar_one_or_none()
    if stored is None:
        return None  # the first head we see of this log: nothing to extend
    last = _parse_head(stored, f"stored head of {sender}")
    if head.size < last.size:
        raise InvalidTreeHeadError(
            f"the tree head of {sender} at size {head.size} is older than the head at size "
            f"{last.size} we cosigned; a log only grows"
        )
    if proof is None or proof["from_size"] != last.size:
        raise InvalidProofError(
            f"the tree head of {sender} at size {head.size} needs a consistency proof from "
            f"size {last.size}, the head we cosigned last"
        )
    hashes = [bytes.fromhex(h) for h in proof["hashes"]]
    try:
        audit.verify_consistency(last.size, head.size, last.root, head.root, hashes)
    except InvalidProofError as exc:
        reason = f"its head at size {head.size} does not extend the one at size {last.size} ({exc})"
        return _Fork(sender, sender, reason, last, head, proof)
    return None


def _same_size_conflict(
    tx: Connection, party: str, reported_by: str, head: audit.SignedTreeHead
) -> _Fork | None:
    """A known head of ``party``'s log of the same size as ``head`` with another root."""
    table = schema.witnessed_heads
    rows = tx.execute(
        select(table.c.via, table.c.head).where(
            table.c.party == party, table.c.size == head.size, table.c.root != head.root.hex()
        )
    ).first()
    if rows is None:
        return None
    seen = _parse_head(rows.head, f"stored head of {party}")
    reason = (
        f"two heads at size {head.size} with different roots, one shown to us by "
        f"{rows.via}, the other by {reported_by}"
    )
    return _Fork(party, reported_by, reason, seen, head)


def _rolled_back(
    tx: Connection, party: str, reported_by: str, head: audit.SignedTreeHead
) -> _Fork | None:
    """The largest head we know of ``party``'s log, if ``head`` is smaller and signed later.

    A log only grows, so a head signed after a larger one proves the log was cut back, to
    anyone holding the log's key: both heads carry its signature. A smaller head signed
    *before* the larger one is only stale (a retried or delayed message), not evidence.
    """
    table = schema.witnessed_heads
    row = tx.execute(
        select(table.c.via, table.c.head)
        .where(table.c.party == party, table.c.size > head.size)
        .order_by(table.c.size.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    larger = _parse_head(row.head, f"stored head of {party}")
    if head.head.timestamp <= larger.head.timestamp:
        return None
    reason = (
        f"its head at size {head.size}, signed {head.head.timestamp.isoformat()} (shown to us "
        f"by {reported_by}), is smaller than its head at size {larger.size} signed "
        f"{larger.head.timestamp.isoformat()} (shown to us by {row.via}): the log was rolled back"
    )
    return _Fork(party, reported_by, reason, larger, head)


def _verified_body(
    node: Node, document: dict[str, Any], kind: str, sender: str, where: str
) -> dict[str, Any]:
    party, body = verify_document(document, node.directory, kind=kind, where=where)
    if party != sender:
        raise PackageError(f"{where}: signed by {party}, not {sender}")
    return body


def _log_key(node: Node, head: audit.SignedTreeHead, party: str) -> Ed25519PublicKey:
    """Verify that ``party`` signed ``head`` with a key we pin; return that key."""
    try:
        owner, key = node.directory.signing_key(head.key_id)
    except EnvelopeKeyError as exc:
        raise InvalidTreeHeadError(
            f"the tree head at size {head.size} is signed by a key not in the pinned directory"
        ) from exc
    if owner != party:
        raise InvalidTreeHeadError(
            f"the tree head at size {head.size} is signed by {owner}'s key, not {party}'s"
        )
    audit.verify_head(head, key)
    return key


def _verify_cosignature(node: Node, head: audit.SignedTreeHead, witness: str) -> None:
    """Verify ``witness``'s cosignature on ``head`` (by any of its pinned key generations)."""
    if journal.cosigned_by(head, witness, node.directory):
        return
    raise InvalidTreeHeadError(
        f"the tree head at size {head.size} carries no cosignature by {witness}"
    )


# --- storage --------------------------------------------------------------------------------


def _direct_head(tx: Connection, party: str, size: int) -> audit.SignedTreeHead | None:
    """The head of ``party`` at ``size`` that we cosigned, if any."""
    table = schema.witnessed_heads
    stored = tx.execute(
        select(table.c.head).where(
            table.c.party == party, table.c.via == party, table.c.size == size
        )
    ).scalar_one_or_none()
    return None if stored is None else _parse_head(stored, f"stored head of {party}")


def _known_size(tx: Connection, party: str, size: int) -> bool:
    """Whether we know a head of ``party``'s log at ``size``, by any way."""
    table = schema.witnessed_heads
    found = tx.execute(
        select(table.c.party).where(table.c.party == party, table.c.size == size).limit(1)
    )
    return found.first() is not None


def _store_head(
    tx: Connection, node: Node, head: audit.SignedTreeHead, *, party: str, via: str
) -> None:
    now = node.now()
    tx.execute(
        insert(schema.witnessed_heads).values(
            party=party,
            size=head.size,
            via=via,
            root=head.root.hex(),
            head=_head_json(head),
            seen_at=now,
        )
    )
    journal.record(
        tx,
        kind=EntryKind.EVENT,
        at=now,
        actor=via,
        subject=party,
        details={
            "event": "head-witnessed" if via == party else "head-seen-by-witness",
            "log": party,
            "via": via,
            "size": head.size,
            "root": head.root.hex(),
        },
    )


def _record_fork(tx: Connection, node: Node, fork: _Fork) -> None:
    """Keep the evidence of ``fork`` once, and journal it as an incident."""
    table = schema.forks
    fork_id = fork.id()
    if tx.execute(select(table.c.id).where(table.c.id == fork_id)).first() is not None:
        return
    now = node.now()
    evidence = fork.evidence()
    tx.execute(
        insert(table).values(
            id=fork_id,
            party=fork.party,
            reported_by=fork.reported_by,
            reason=fork.reason,
            evidence=evidence,
            detected_at=now,
        )
    )
    journal.record(
        tx,
        kind=EntryKind.INCIDENT,
        at=now,
        actor=node.party_code,
        subject=fork.party,
        details={
            "incident": "fork-detected",
            "fork": fork_id,
            "reported_by": fork.reported_by,
            "reason": fork.reason,
            "evidence": evidence,
        },
    )


# --- encoding -------------------------------------------------------------------------------


def _cosignature_document(
    node: Node, sender: str, cosigned: audit.SignedTreeHead
) -> dict[str, Any]:
    body = {"log": sender, "witness": node.party_code, "head": _head_json(cosigned)}
    return sign_document(COSIGNATURE, body, node.keys)


def _head_json(head: audit.SignedTreeHead) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(head.to_json())
    return document


def _bare(head: audit.SignedTreeHead) -> audit.SignedTreeHead:
    """The head as its log signed it, without any cosignature."""
    return replace(head, cosignatures=())


def _parse_head(raw: object, where: str) -> audit.SignedTreeHead:
    if not isinstance(raw, dict):
        raise InvalidTreeHeadError(f"{where}: the head must be a JSON object")
    try:
        return audit.SignedTreeHead.from_json(json.dumps(raw))
    except InvalidTreeHeadError as exc:
        raise InvalidTreeHeadError(f"{where}: {exc}") from exc


def _parse_proof(raw: object, where: str) -> dict[str, Any] | None:
    """``{"from_size": int, "hashes": [hex…]}`` or None, checked for form only."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.keys() != {"from_size", "hashes"}:
        raise PackageError(f"{where}: 'proof' must be null or an object of from_size and hashes")
    size, hashes = raw["from_size"], raw["hashes"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise PackageError(f"{where}: 'proof.from_size' must be a whole number, got {size!r}")
    if not isinstance(hashes, list) or not all(_is_hash_hex(h) for h in hashes):
        raise PackageError(f"{where}: 'proof.hashes' must be a list of {_HASH_HEX} hex digits")
    return {"from_size": size, "hashes": list(hashes)}


def _is_hash_hex(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == _HASH_HEX
        and all(c in "0123456789abcdef" for c in value)
    )
