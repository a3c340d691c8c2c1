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

A detected fork (:mod:`pactshare.federation.forks`) is recorded (the table ``forks``, with
both signed heads as evidence, and an ``incident`` entry in our audit log:
:mod:`pactshare.federation.witness_records`) before
:class:`~pactshare.errors.ForkDetectedError` is raised, so the evidence outlives the refusal.

Message kinds (signed documents, :mod:`pactshare.node.documents`), their bodies and who
handles them:

- ``tree-head`` (log → witness): ``{"log", "witness", "head", "proof"}``, ``proof`` being
  ``{"from_size", "hashes"}`` or null; handled by :func:`witness_head`, which answers with
- ``cosignature`` (witness → log): ``{"log", "witness", "head"}``, the head carrying the
  witness's cosignature; handled by :func:`record_cosignature`;
- ``witnessed-heads`` (witness → witness): ``{"witness", "to", "heads"}``; handled by
  :func:`compare_seen_heads`.

The bodies are typed in :mod:`pactshare.federation.messages`; heads travel as the JSON object
of :meth:`~pactshare.audit.SignedTreeHead.to_dict`. What a witness holds can also be asked for
(:mod:`pactshare.federation.attestation`); what it keeps is read with
:func:`pactshare.federation.storage.cosignatures` and :func:`~pactshare.federation.storage.forks`.

Every cosignature kept and every head witnessed is an entry in the keeper's own audit log, so
a log is never quiet after a round: run witnessing rounds on a timer, not on log growth.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pactshare import audit
from pactshare.errors import EnvelopeKeyError, InvalidProofError, InvalidTreeHeadError, PackageError
from pactshare.federation.forks import Fork, bare, check_extends, contradiction
from pactshare.federation.messages import (
    COSIGNATURE,
    TREE_HEAD,
    WITNESSED_HEADS,
    CosignatureMessage,
    TreeHeadMessage,
    WitnessedHeadsMessage,
    WitnessProof,
    parse_head,
)
from pactshare.federation.storage import outbox, peers, witnessing
from pactshare.federation.witness_records import keep_cosignature, keep_fork, keep_head
from pactshare.node import journal
from pactshare.node.documents import sign_document, verify_document
from pactshare.node.outbox import queue_message
from pactshare.node.service import Node

__all__ = [
    "COSIGNATURE",
    "TREE_HEAD",
    "WITNESSED_HEADS",
    "compare_seen_heads",
    "queue_round",
    "record_cosignature",
    "seen_heads_message",
    "tree_head_message",
    "witness_head",
]


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
        last = witnessing.last_cosigned_size(tx, peer)
        proof = None
        if last is not None:
            if last > signed.size:
                raise InvalidProofError(
                    f"{peer} cosigned our log at size {last} but it has only {signed.size} "
                    "entries now: it was rolled back, and no proof can show it grew"
                )
            proof = WitnessProof(last, tuple(journal.consistency(tx, last, signed.size)))
    message = TreeHeadMessage(node.party_code, peer, signed, proof)
    return sign_document(TREE_HEAD, message.to_dict(), node.keys)


def queue_round(node: Node) -> list[str]:
    """Queue one witnessing round in the outbox: our head for every peer to cosign, and the
    heads we witnessed for every peer to compare. A kind still pending for a peer is not queued
    again (a newer head would only wait behind it); an empty list of heads is not sent."""
    queued = []
    for peer in (p.party for p in peers.list_peers(node)):
        for kind, make in ((TREE_HEAD, tree_head_message), (WITNESSED_HEADS, seen_heads_message)):
            if outbox.pending_messages(node, kind=kind, recipient=peer):
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
    head = CosignatureMessage.from_dict(body, where).head
    _log_key(node, head, node.party_code)  # ours, by any generation of our key
    _verify_cosignature(node, head, witness)
    with node.db.atomic() as tx:
        keep_cosignature(tx, node, witness, head)


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
    head = parse_head(body.get("head"), where)
    log_key = _log_key(node, head, sender)  # the signature before the proof's form
    proof = WitnessProof.from_dict(body.get("proof"), where)
    message = TreeHeadMessage(sender, node.party_code, head, proof)
    fork: Fork | None
    with node.db.atomic() as tx:
        # One head at a time: on PostgreSQL each statement sees what committed before it, so
        # two heads checked side by side could each miss the other (a retry refused as
        # unproven, or two heads that do not extend each other both cosigned).
        journal.lock_for_append(tx)
        # Evidence first: a head we already cosigned must not shortcut a contradiction.
        fork = contradiction(tx, sender, sender, head)
        if fork is None:
            known = witnessing.direct_head(tx, sender, head.size)
            if known is not None and known.root == head.root:
                return _cosignature_document(node, sender, known)  # a retry, or a stale head
            fork = check_extends(tx, sender, message)
        if fork is None:
            cosigned = audit.cosign(
                bare(head), node.keys.signing_key, node.keys.signing_key_id, log_key=log_key
            )
            keep_head(tx, node, cosigned, party=sender, via=sender)
            return _cosignature_document(node, sender, cosigned)
        keep_fork(tx, node, fork)
    raise fork.error()


def seen_heads_message(node: Node, peer: str) -> dict[str, Any]:
    """The signed ``witnessed-heads`` document for witness ``peer``: the latest head we
    cosigned of every third party (neither us nor ``peer``), with our cosignature on it."""
    with node.db.atomic() as tx:
        heads = witnessing.latest_cosigned_heads(tx, besides=(node.party_code, peer))
    message = WitnessedHeadsMessage(node.party_code, peer, tuple(heads))
    return sign_document(WITNESSED_HEADS, message.to_dict(), node.keys)


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
    shown: list[tuple[str, audit.SignedTreeHead]] = []
    for head in WitnessedHeadsMessage.from_dict(body, where).heads:
        try:
            party, _ = node.directory.signing_key(head.key_id)
        except EnvelopeKeyError:
            continue  # a log we do not pin: we cannot check it, nor hold it against anyone
        if party in (node.party_code, sender):
            continue
        _log_key(node, head, party)
        _verify_cosignature(node, head, sender)
        shown.append((party, head))
    found: list[Fork] = []
    with node.db.atomic() as tx:
        journal.lock_for_append(tx)  # as witness_head: compared with every head recorded
        for party, head in shown:
            fork = contradiction(tx, party, sender, head)
            if fork is not None:
                keep_fork(tx, node, fork)
                found.append(fork)
            elif not witnessing.knows_head_size(tx, party, head.size):  # known: adds nothing
                keep_head(tx, node, head, party=party, via=sender)
    if found:
        raise found[0].error()


# --- checks ---------------------------------------------------------------------------------


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


def _cosignature_document(
    node: Node, sender: str, cosigned: audit.SignedTreeHead
) -> dict[str, Any]:
    message = CosignatureMessage(sender, node.party_code, cosigned)
    return sign_document(COSIGNATURE, message.to_dict(), node.keys)
