"""Delivering the outbox: each message a workflow committed with its decision is signed and
sent to the peer's node until the peer answers with its signed receipt.

Guarantees. A message is sent at least once and applied at most once (the receiver keys its
effect on the message id), so it is delivered exactly once in effect. The receiver's signed
receipt is verified against the pinned directory and stored, with a ``delivery`` audit entry, in
the same transaction that marks the message delivered; that commit is not synced (a power loss
may undo it: the message then goes again and is answered the same receipt). An answer retrying
cannot change is final: a policy refusal (422), a fork (409), and every other 4xx but those a
later attempt may cure (:data:`RETRYABLE_4XX`: unauthenticated while our key is not yet pinned,
too early, too many); the message is marked refused with the receiver's reason, audited, never
retried. Anything else (the peer down, a 5xx, a bad answer) is retried with exponential backoff
and full jitter (base :data:`BACKOFF_BASE`, cap :data:`BACKOFF_CAP`) on real time, whatever the
node's simulated clock says. Nothing is decided again here: the decision was made once, at
provide time.

A message goes only to a peer that announces its kind (:mod:`pactshare.federation.versions`):
one the peer does not support, or whose info is unknown (unreachable, unsigned, forged),
stays pending with the reason as its last error and is retried like any other failure, with
the peer's info asked again.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy import Connection

from pactshare.audit import EntryKind
from pactshare.errors import FederationError, PactshareError, StorageError, translated
from pactshare.federation import batch, relay, versions, witness
from pactshare.federation.inbound import ACKNOWLEDGEMENT, BATCH, BATCH_MEDIA, ITEM, JSON, ZIP
from pactshare.federation.signatures import MESSAGE_ID, content_digest, signing_headers
from pactshare.federation.storage.outbox import (
    OutboxEntry,
    OutboxState,
    Waiter,
    any_due,
    finish_message,
    mark_provision_delivered,
    outbox_waiter,
    pending_in,
    schedule_retry,
)
from pactshare.federation.storage.peers import KeptInfo, peer_entry
from pactshare.node import journal
from pactshare.node.answers import ACCEPTANCE, answer_acknowledged
from pactshare.node.clock import monotonic, real_now, real_time
from pactshare.node.documents import verify_document
from pactshare.node.envelopes import StoredEnvelope, envelope_blocks, find_envelope
from pactshare.node.notes import acknowledged
from pactshare.node.packages import package_bytes
from pactshare.node.service import Node

__all__ = [
    "ACKNOWLEDGED",
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "PATH",
    "REPLY_HANDLERS",
    "RETRYABLE_4XX",
    "DeliveryReport",
    "DeliveryWorker",
    "backoff",
    "deliver_due",
]

PATH = "/federation/v1/messages"
BACKOFF_BASE, BACKOFF_CAP = 0.5, 60.0
RETRYABLE_4XX = frozenset({401, 408, 425, 429})
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
log = logging.getLogger(__name__)

ReplyHandler = Callable[[Node, str, dict[str, Any]], None]
REPLY_HANDLERS: dict[str, ReplyHandler] = {
    # outbox kind → what files the receiver's signed reply (recipient party, reply), inside
    # the transaction that marks the message delivered; raising a PactshareError keeps the
    # message pending.
    witness.TREE_HEAD: witness.record_cosignature,  # the witness's cosignature of our head
}
AcknowledgementHandler = Callable[[Node, dict[str, Any], str, dict[str, Any]], None]
ACKNOWLEDGED: dict[str, AcknowledgementHandler] = {
    # outbox kind → what files the receiver's signed acknowledgement (payload sent, recipient,
    # acknowledgement body), inside the transaction that marks the message delivered: a note
    # and an acceptance count from the receipt instant the receiver signed (§5.1).
    "note": acknowledged,
    ACCEPTANCE: answer_acknowledged,
}


@dataclass
class DeliveryReport:
    """What one pass did: message ids delivered, refused by the receiver, or to be retried."""

    delivered: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)


Delivered = tuple[dict[str, Any], dict[str, Any] | None]  # the receipt, and the reply if any
Outcome = Delivered | PactshareError  # what one attempt at one message came to


class _RetryError(FederationError):
    """This attempt failed; try again later (the peer is down, answered 5xx or nonsense)."""


class _RefusedError(FederationError):
    """The receiver refused the message for a reason retrying cannot change: final."""


def backoff(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failures: full jitter (AWS architecture blog)."""
    return random.uniform(0.0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(attempts, 30)))  # noqa: S311 - jitter, not secrecy


@dataclass
class _Pass:
    """What one pass read in its read transaction, and what it learned since: the messages
    pending, each recipient's URL and kept info, the envelopes of the items first sent, and
    per peer what it speaks (its info, or why it is unknown)."""

    real: datetime
    pending: list[OutboxEntry]
    peers: dict[str, tuple[str | None, KeptInfo | None]]
    envelopes: dict[str, StoredEnvelope]
    speaks: dict[str, versions.PeerInfo | str] = field(default_factory=dict)

    def peer(self, node: Node, party: str) -> tuple[str | None, KeptInfo | None]:
        """``party``'s URL and kept info: as read, else read now (a later round's peer)."""
        if party not in self.peers:
            with node.db.atomic() as tx:
                self.peers[party] = peer_entry(tx, party)
        return self.peers[party]


def deliver_due(
    node: Node, *, client: httpx.Client | None = None, now: datetime | None = None
) -> DeliveryReport:
    """One pass over the messages due (``now``: real UTC time by default). Each peer is sent,
    for each subject, the oldest message pending (in batches when it speaks them); a message
    whose predecessor on the same subject is still pending waits for it, so that none
    overtakes another (an incident's update never arrives before its report).

    What the pass needs is read in one transaction (the messages pending, the peers' URLs and
    kept info, the envelopes of the items to send); then each message or batch is posted, and
    its outcome written in one transaction. A message queued while the pass runs goes in the
    next one (the commit that queued it wakes the worker)."""
    real = now or real_now()
    report = DeliveryReport()
    with node.db.atomic() as tx:
        if not any_due(tx, real):
            return report
        pending = pending_in(tx)
        front = _front(pending, real, set())
        peers = {party: peer_entry(tx, party) for party in {row.recipient for row in front}}
        envelopes = _envelopes(tx, front)
    state = _Pass(real, pending, peers, envelopes)
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT)
    tried: set[str] = set()
    try:
        while front:
            tried.update(row.id for row in front)
            for peer in dict.fromkeys(row.recipient for row in front):
                mine = [row for row in front if row.recipient == peer]
                _deliver_to(node, http, mine, state=state, report=report)
            # What this round finished no longer holds back the next of its subject.
            finished = {*report.delivered, *report.refused}
            state.pending = [row for row in state.pending if row.id not in finished]
            front = _front(state.pending, real, tried)
    finally:
        if own:
            http.close()
    return report


def _envelopes(tx: Connection, rows: list[OutboxEntry]) -> dict[str, StoredEnvelope]:
    """The envelopes of the items among ``rows``, by digest (one missing is left out: its
    message fails when its body is built, and only it)."""
    found = {}
    for row in rows:
        if row.kind == ITEM:
            digest = _envelope_digest(row)
            try:
                found[digest] = find_envelope(tx, digest)
            except StorageError:
                continue
    return found


def _envelope_digest(row: OutboxEntry) -> str:
    return str(row.payload["body"]["envelope"]["digest"])


def _subject(row: OutboxEntry) -> str:
    """What a message is about, within which messages to one peer keep their order: the item
    (its provisions, consents, notices), else the kind (notes, witnessing rounds)."""
    return str(row.payload.get("body", {}).get("item_id") or row.kind)


def _front(pending: list[OutboxEntry], real: datetime, tried: set[str]) -> list[OutboxEntry]:
    """The oldest message of each (peer, subject) among ``pending`` (oldest first), if it is
    due and was not tried yet in this pass; the others wait behind it."""
    claimed: set[tuple[str, str]] = set()
    front = []
    for row in pending:
        if _waits_for_its_approval(pending, row):
            continue
        key = (row.recipient, _subject(row))
        if key in claimed:
            continue
        claimed.add(key)
        due = row.attempts == 0 or (row.next_attempt_at is not None and row.next_attempt_at <= real)
        if due and row.id not in tried:
            front.append(row)
    return front


def _deliver_to(
    node: Node,
    http: httpx.Client,
    rows: list[OutboxEntry],
    *,
    state: _Pass,
    report: DeliveryReport,
) -> None:
    """Deliver ``rows``, all to one peer: batched if the peer speaks batches, else one by one."""
    ready = []
    for row in rows:
        try:
            _check_supported(node, http, row, state)
        except _RetryError as exc:
            _settle(node, row, exc, state.real, report)
        else:
            ready.append(row)
    info = state.speaks.get(rows[0].recipient)
    if len(ready) > 1 and isinstance(info, versions.PeerInfo) and info.refuses(BATCH) is None:
        for group in _batches(node, ready, state):
            outcomes = (
                _send_batch(node, http, group, state)
                if len(group) > 1
                else [_attempt(partial(_post, node, http, *group[0], state=state))]
            )
            # The batch's outcomes: one commit, relaxed if it only marks messages delivered.
            delivered = not any(isinstance(outcome, PactshareError) for outcome in outcomes)
            with node.db.atomic(durable=not delivered):
                for (row, _, _), outcome in zip(group, outcomes, strict=True):
                    _settle(node, row, outcome, state.real, report)
    else:
        for row in ready:
            outcome = _attempt(partial(_send, node, http, row, state))
            _settle(node, row, outcome, state.real, report)


def _attempt(send: Callable[[], Delivered]) -> Outcome:
    try:
        return send()
    except PactshareError as exc:
        return exc


def _settle(
    node: Node, row: OutboxEntry, outcome: Outcome, real: datetime, report: DeliveryReport
) -> None:
    """Record what an attempt at ``row`` came to: delivered, refused for good, or retried."""
    try:
        if isinstance(outcome, PactshareError):
            raise outcome
        receipt, reply = outcome
        _finish(node, row, OutboxState.DELIVERED, receipt=receipt, reply=reply)
    except _RefusedError as exc:
        _finish(node, row, OutboxState.REFUSED, error=str(exc))
        log.warning("message refused", extra=_fields(row, error=str(exc)))
        report.refused.append(row.id)
    except PactshareError as exc:
        versions.forget_info(node, row.recipient)  # ask again at the next try
        _retry(node, row, str(exc), real)
        log.info("message retried", extra=_fields(row, error=str(exc)))
        report.retrying.append(row.id)
    else:
        log.info("message delivered", extra=_fields(row))
        report.delivered.append(row.id)


def _fields(row: OutboxEntry, **more: object) -> dict[str, object]:
    """What a log record says of an outbox message (never its payload)."""
    return {
        "message_id": row.id,
        "kind": row.kind,
        "to": row.recipient,
        "attempt": row.attempts + 1,
        **more,
    }


def _waits_for_its_approval(pending: list[OutboxEntry], row: OutboxEntry) -> bool:
    """A revocation never overtakes its approval (both may carry the same instant when the
    clock is fixed, so creation order alone cannot say which goes first)."""
    if row.kind != "revocation":
        return False
    approval_id = row.payload["body"]["approval_id"]
    return any(
        entry.kind == "approval"
        and entry.recipient == row.recipient
        and entry.payload["body"]["approval_id"] == approval_id
        for entry in pending
    )


def _check_supported(node: Node, http: httpx.Client, row: OutboxEntry, state: _Pass) -> None:
    """Raise a retry unless the recipient announced that it accepts this message's kind."""
    info = state.speaks.get(row.recipient)
    if info is None:
        try:
            info = versions.peer_info_of(
                node,
                http,
                row.recipient,
                now=state.real,
                entry=state.peer(node, row.recipient),
            )
        except versions.UnknownInfoError as exc:
            info = str(exc)
        state.speaks[row.recipient] = info
    # What the receiver dispatches on: a package, or the signed document's own kind (the
    # outbox's kind is the workflow's name for it: "incident" sends an "incident-notice").
    kind = ITEM if row.kind == ITEM else str(row.payload.get("kind"))
    reason = info if isinstance(info, str) else info.refuses(kind)
    if reason is not None:
        raise _RetryError(reason)


def _send(node: Node, http: httpx.Client, row: OutboxEntry, state: _Pass) -> Delivered:
    body, media_type = _body(node, row, state)
    return _post(node, http, row, media_type, body, state=state)


def _body(node: Node, row: OutboxEntry, state: _Pass) -> tuple[bytes, str]:
    """The request body, built in memory (nothing to keep): the transfer package for an
    item, else the signed document; and its media type."""
    if row.kind == ITEM:
        digest = _envelope_digest(row)
        envelope = state.envelopes.pop(digest, None)
        if envelope is None:  # not read with the pass (a later round's, or missing)
            with node.db.atomic() as tx:
                envelope = find_envelope(tx, digest)
        return package_bytes(row.payload, envelope_blocks(node, envelope)), ZIP
    return json.dumps(row.payload, ensure_ascii=False).encode("utf-8"), JSON


def _base(node: Node, state: _Pass, peer: str) -> str:
    """The URL of ``peer``'s node; a retry if it has none."""
    base, _ = state.peer(node, peer)
    if base is None:
        raise _RetryError(f"no URL for {peer}: add it with pactshare peer add")
    return base


def _post(
    node: Node,
    http: httpx.Client,
    row: OutboxEntry,
    media_type: str,
    body: bytes,
    *,
    state: _Pass,
) -> Delivered:
    """Sign and post ``row`` alone, its ``body`` built; the verified receipt and reply."""
    base = _base(node, state, row.recipient)
    headers = {
        "content-type": media_type,
        "content-digest": content_digest([body]),
        MESSAGE_ID: row.id,
    }
    signed = signing_headers(
        node.keys, "POST", PATH, headers, recipient=row.recipient, created=int(real_time())
    )
    with translated(_RetryError, lambda exc: f"{type(exc).__name__}: {exc}"):
        answer = http.post(base + PATH, content=body, headers=signed)
    return _receipt(node, row, answer)


def _receipt(node: Node, row: OutboxEntry, answer: httpx.Response) -> Delivered:
    """The receiver's verified receipt and its reply, if any; or why this attempt failed."""
    try:
        data = answer.json()
    except ValueError:
        data = None
    return _verified(node, row, answer.status_code, data, answer.text)


def _verified(node: Node, row: OutboxEntry, status: int, data: Any, text: str) -> Delivered:
    """The receipt in ``data``, the answer (``text`` as sent) to ``row``, checked; or why not."""
    if 400 <= status < 500 and status not in RETRYABLE_4XX:  # nothing a retry changes: final
        try:
            reasons = "; ".join(data.get("reasons", [])) or data.get("detail", "")
        except (AttributeError, TypeError):  # not a problem document
            reasons = text[:500]
        raise _RefusedError(f"refused by {row.recipient} ({status}): {reasons}")
    if status != 200:
        raise _RetryError(f"{row.recipient} answered {status}: {text[:500]}")
    expected = "receipt" if row.kind == "item" else ACKNOWLEDGEMENT
    try:
        receipt, reply = data["receipt"], data.get("reply")
        party, body = verify_document(
            receipt, node.directory, kind=expected, where=f"{row.recipient}'s receipt"
        )
    except (ValueError, KeyError, TypeError, PactshareError) as exc:
        raise _RetryError(f"{row.recipient}'s answer is not a valid signed receipt: {exc}") from exc
    names = body.get("package_id") if row.kind == "item" else body.get("message_id")
    if party != row.recipient or names != row.id:
        raise _RetryError(f"a receipt signed by {party} for {names}, not by the recipient for us")
    return dict(receipt), (dict(reply) if isinstance(reply, dict) else None)


def _batches(
    node: Node, rows: list[OutboxEntry], state: _Pass
) -> Iterator[list[tuple[OutboxEntry, str, bytes]]]:
    """``rows`` with their bodies, grouped into batches within the limits of
    :mod:`pactshare.federation.batch`; a message too large for one goes alone."""
    group: list[tuple[OutboxEntry, str, bytes]] = []
    size = 0
    for row in rows:
        body, media_type = _body(node, row, state)
        if len(body) > batch.MAX_MEMBER:
            yield [(row, media_type, body)]  # alone: sent as a single message
            continue
        cost = 4 * -(-len(body) // 3) + 256  # in base64, with its member's fields
        if group and (len(group) == batch.MAX_MESSAGES or size + cost > batch.MAX_BYTES):
            yield group
            group, size = [], 0
        group.append((row, media_type, body))
        size += cost
    if group:
        yield group


def _send_batch(
    node: Node, http: httpx.Client, group: list[tuple[OutboxEntry, str, bytes]], state: _Pass
) -> list[Outcome]:
    """Send ``group`` (to one peer) in one signed request; each message's outcome, in order."""
    rows = [row for row, _, _ in group]
    peer = rows[0].recipient
    try:
        base = _base(node, state, peer)
    except _RetryError as exc:
        return [exc] * len(rows)
    body = batch.encode(node.party_code, peer, [(row.id, kind, data) for row, kind, data in group])
    headers = {
        "content-type": BATCH_MEDIA,
        "content-digest": content_digest([body]),
        MESSAGE_ID: uuid.uuid4().hex,  # the request's own id: each message keeps its own
    }
    signed = signing_headers(
        node.keys, "POST", PATH, headers, recipient=peer, created=int(real_time())
    )
    try:
        with translated(_RetryError, lambda exc: f"{type(exc).__name__}: {exc}"):
            answer = http.post(base + PATH, content=body, headers=signed)
    except _RetryError as exc:
        return [exc] * len(rows)
    return _answered(node, http, rows, answer, state)


def _answered(
    node: Node, http: httpx.Client, rows: list[OutboxEntry], answer: httpx.Response, state: _Pass
) -> list[Outcome]:
    """Each message's outcome from the answer to its batch. A batch the peer refuses as a
    whole (a 4xx retrying cannot change) goes again message by message, each answered alone."""
    peer, status = rows[0].recipient, answer.status_code
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        log.warning(
            "batch refused; its messages go one by one",
            extra={"to": peer, "status": status, "error": answer.text[:500]},
        )
        return [_attempt(partial(_send, node, http, row, state)) for row in rows]
    if status != 200:
        return [_RetryError(f"{peer} answered {status}: {answer.text[:500]}")] * len(rows)
    try:
        results = answer.json()["results"]
        if not isinstance(results, list) or len(results) != len(rows):
            raise TypeError(f"{len(rows)} messages sent")
    except (ValueError, KeyError, TypeError) as exc:
        error = _RetryError(f"{peer}'s answer to a batch is not one result per message: {exc}")
        return [error] * len(rows)
    return [_result(node, row, result) for row, result in zip(rows, results, strict=True)]


def _result(node: Node, row: OutboxEntry, result: object) -> Outcome:
    """The outcome of ``row`` from its result in a batch's answer."""
    if (
        not isinstance(result, dict)
        or result.get("message_id") != row.id
        or not isinstance(result.get("status"), int)
    ):
        return _RetryError(f"{row.recipient} answered no result for message {row.id}")
    status = result["status"]
    data = result.get("answer" if status == 200 else "problem")
    text = json.dumps(data, ensure_ascii=False)[:500]
    return _attempt(partial(_verified, node, row, status, data, text))


def _finish(
    node: Node,
    row: OutboxEntry,
    state: OutboxState,
    *,
    receipt: dict[str, Any] | None = None,
    reply: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Mark the message delivered (with its receipt) or refused, and audit it, atomically.

    The delivered mark is a relaxed commit (:meth:`pactshare.store.Database.atomic`): a
    power loss before the next synced commit may lose it, and then the message, still
    pending, goes again and its receiver, which applies a message id once, answers the
    receipt it signed the first time (and the same reply), which is stored as if the first
    answer had been. A refusal is final, so it is synced."""
    now = node.now()
    subject = row.payload.get("body", {}).get("item_id") or row.kind
    with node.db.atomic(durable=state is not OutboxState.DELIVERED) as tx:
        if not finish_message(tx, row, state, receipt=receipt, error=error, at=now):
            return  # another pass (the CLI's, the server's) finished it first
        if reply is not None and row.kind in REPLY_HANDLERS:
            REPLY_HANDLERS[row.kind](node, row.recipient, reply)
        if receipt is not None and row.kind in ACKNOWLEDGED:
            ACKNOWLEDGED[row.kind](node, row.payload, row.recipient, receipt["body"])
        if row.kind == "item" and state is OutboxState.DELIVERED:
            mark_provision_delivered(tx, row.id)
        journal.record(
            tx,
            kind=EntryKind.DELIVERY,
            at=now,
            actor=node.party_code,
            subject=str(subject),
            details={
                "message": row.id,
                "kind": row.kind,
                "to": row.recipient,
                "outcome": state.value,
                **({"receipt": receipt["body"]} if receipt else {}),
                **({"error": error} if error else {}),
            },
        )


def _retry(node: Node, row: OutboxEntry, error: str, real: datetime) -> None:
    next_at = real + timedelta(seconds=backoff(row.attempts + 1))
    schedule_retry(node, row, error, next_at)


class DeliveryWorker:
    """A thread that relays approved items onward and delivers the outbox, waking as soon as
    a commit queues a message (in this process or another: :mod:`pactshare.store.wakeups`),
    when :meth:`notify` is called, and at least every ``interval`` seconds (retries come due,
    a wake-up may be lost); every ``witness_every`` seconds (if set) it also queues a
    witnessing round (our head to cosign, what we witnessed)."""

    def __init__(
        self, node: Node, *, interval: float = 0.2, witness_every: float | None = None
    ) -> None:
        self.node = node
        self.interval = interval
        self.witness_every = witness_every
        self._waiter: Waiter | None = None  # bound when started
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pactshare-delivery", daemon=True)

    def start(self) -> None:
        self._waiter = outbox_waiter(self.node)
        self._thread.start()

    def notify(self) -> None:
        if self._waiter is not None:  # not started: its first pass comes anyway
            self._waiter.wake()

    def stop(self) -> None:
        self._stopping.set()
        self.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        if self._waiter is not None:
            self._waiter.close()
            self._waiter = None

    def _run(self) -> None:
        last_round = monotonic()
        with httpx.Client(timeout=TIMEOUT) as client:
            while not self._stopping.is_set():
                try:
                    if self.witness_every and monotonic() - last_round >= self.witness_every:
                        last_round = monotonic()
                        witness.queue_round(self.node)
                    relay.relay_due(self.node)
                    deliver_due(self.node, client=client)
                except Exception:
                    log.exception("delivery pass failed; retrying")
                assert self._waiter is not None  # noqa: S101 - set before the thread starts
                self._waiter.wait(self.interval)
