"""Forks: two signed heads of one log that cannot both be true, and the checks that find them.

A head that does not extend the one a witness cosigned is a fork (:func:`check_extends`); so
are two heads of the same size with different roots (:func:`same_size_conflict`), and a head
smaller than one we know and signed *later* than it (:func:`rolled_back`): a log only grows,
so the two prove a rollback. Each such pair is evidence to anyone holding the log's key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection

from pactshare import audit, canonical
from pactshare.errors import ForkDetectedError, InvalidProofError, InvalidTreeHeadError
from pactshare.federation.messages import TreeHeadMessage, WitnessProof
from pactshare.federation.storage import witnessing

__all__ = [
    "Fork",
    "bare",
    "check_extends",
    "contradiction",
    "rolled_back",
    "same_size_conflict",
]


def bare(head: audit.SignedTreeHead) -> audit.SignedTreeHead:
    """The head as its log signed it, without any cosignature."""
    return replace(head, cosignatures=())


@dataclass(frozen=True, slots=True)
class Fork:
    """Two signed heads of one log that cannot both be true, and how we learnt of them."""

    party: str
    reported_by: str
    reason: str
    seen: audit.SignedTreeHead
    shown: audit.SignedTreeHead
    proof: WitnessProof | None = None

    def evidence(self) -> dict[str, Any]:
        """Both signed heads (and the proof that failed, if any), as kept and shown."""
        evidence: dict[str, Any] = {
            "party": self.party,
            "seen": self.seen.to_dict(),
            "shown": self.shown.to_dict(),
        }
        if self.proof is not None:
            evidence["proof"] = self.proof.to_dict()
        return evidence

    def id(self) -> str:
        """The same two heads are one fork, whoever reported them and in whichever order."""
        pair = sorted(bare(head).to_json() for head in (self.seen, self.shown))
        return hashlib.sha256(canonical.dumps([self.party, *pair])).hexdigest()

    def error(self) -> ForkDetectedError:
        return ForkDetectedError(
            f"the log of {self.party} forked: {self.reason}",
            party=self.party,
            evidence=self.evidence(),
        )


def check_extends(tx: Connection, sender: str, message: TreeHeadMessage) -> Fork | None:
    """Whether the message's head extends the latest head of ``sender`` we cosigned; refuse
    (nothing kept) if it is older or unproven."""
    head, proof = message.head, message.proof
    last = witnessing.latest_direct_head(tx, sender)
    if last is None:
        return None  # the first head we see of this log: nothing to extend
    if head.size < last.size:
        raise InvalidTreeHeadError(
            f"the tree head of {sender} at size {head.size} is older than the head at size "
            f"{last.size} we cosigned; a log only grows"
        )
    if proof is None or proof.from_size != last.size:
        raise InvalidProofError(
            f"the tree head of {sender} at size {head.size} needs a consistency proof from "
            f"size {last.size}, the head we cosigned last"
        )
    try:
        audit.verify_consistency(last.size, head.size, last.root, head.root, list(proof.hashes))
    except InvalidProofError as exc:
        reason = f"its head at size {head.size} does not extend the one at size {last.size} ({exc})"
        return Fork(sender, sender, reason, last, head, proof)
    return None


def same_size_conflict(
    tx: Connection, party: str, reported_by: str, head: audit.SignedTreeHead
) -> Fork | None:
    """A known head of ``party``'s log of the same size as ``head`` with another root."""
    known = witnessing.conflicting_head(tx, party, head)
    if known is None:
        return None
    via, seen = known
    reason = (
        f"two heads at size {head.size} with different roots, one shown to us by "
        f"{via}, the other by {reported_by}"
    )
    return Fork(party, reported_by, reason, seen, head)


def rolled_back(
    tx: Connection, party: str, reported_by: str, head: audit.SignedTreeHead
) -> Fork | None:
    """The largest head we know of ``party``'s log, if ``head`` is smaller and signed later.

    A log only grows, so a head signed after a larger one proves the log was cut back, to
    anyone holding the log's key: both heads carry its signature. A smaller head signed
    *before* the larger one is only stale (a retried or delayed message), not evidence.
    """
    known = witnessing.largest_head_above(tx, party, head.size)
    if known is None:
        return None
    via, larger = known
    if head.head.timestamp <= larger.head.timestamp:
        return None
    reason = (
        f"its head at size {head.size}, signed {head.head.timestamp.isoformat()} (shown to us "
        f"by {reported_by}), is smaller than its head at size {larger.size} signed "
        f"{larger.head.timestamp.isoformat()} (shown to us by {via}): the log was rolled back"
    )
    return Fork(party, reported_by, reason, larger, head)


def contradiction(
    tx: Connection, party: str, reported_by: str, head: audit.SignedTreeHead
) -> Fork | None:
    """A known head ``head`` contradicts: of its size with another root, or a rollback."""
    return same_size_conflict(tx, party, reported_by, head) or rolled_back(
        tx, party, reported_by, head
    )
