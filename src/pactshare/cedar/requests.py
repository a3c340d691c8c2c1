"""A pactshare request as a Cedar request: principal, action, resource (an item) and context.

The item entity (and the topic entities it points to) is returned beside the request, to be
added to the registry's entities. Approvals are filtered here — in effect at the instant,
given by the originator, for this item or for any — because Cedar has no clock and no
quantifier over a set of records; what they allow is decided by the policies.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pactshare.cedar._syntax import MAX_TOPICS
from pactshare.cedar.entities import entity_ref, statuses, topic_entities, uid
from pactshare.domain import ApprovalKind, Interpretation, Registry, Request
from pactshare.errors import PolicyError

__all__ = ["CedarRequest", "cedar_request"]

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CedarRequest:
    """A Cedar authorization request and the entities it adds to the registry's."""

    request: Json
    entities: list[Json]

    def entities_beyond(self, known: Collection[tuple[str, str]]) -> list[Json]:
        """The entities not already among ``known`` (type, id) uids: Cedar refuses to add an
        entity twice, even an identical one (a topic the registry's scopes also name)."""
        return [
            entity
            for entity in self.entities
            if (entity["uid"]["type"], entity["uid"]["id"]) not in known
        ]


def _approved(request: Request, kind: ApprovalKind, at: datetime) -> list[str]:
    return sorted(
        {
            approval.subject
            for approval in request.approvals
            if approval.originator == request.originator
            and approval.kind is kind
            and (approval.item_id is None or approval.item_id == request.item_id)
            and approval.in_effect(at)
        }
    )


def cedar_request(
    request: Request,
    registry: Registry,
    at: datetime,
    interpretation: Interpretation,
    *,
    item_id: str = "item",
    status: Mapping[str, str] | None = None,
) -> CedarRequest:
    """Translate ``request`` at ``at``; pass ``status`` to reuse statuses across requests."""
    originator = registry.party(request.originator)
    holder = registry.party(request.holder or request.originator)
    recipient = registry.party(request.recipient)
    level = originator.level(request.classification)
    topics = tuple(dict.fromkeys(request.topics))
    if not topics or len(topics) > MAX_TOPICS:
        raise PolicyError(
            f"the Cedar translation takes 1 to {MAX_TOPICS} topics per item, not {len(topics)}"
        )
    registry.check_topics(topics)
    slots = [topics[i] if i < len(topics) else topics[0] for i in range(MAX_TOPICS)]
    item: Json = {
        "uid": uid("Item", item_id),
        "attrs": {
            "originator": entity_ref("Party", originator.code),
            "level": level.id,
            "topics": [entity_ref("Topic", t) for t in topics],
            **{f"topic{i}": entity_ref("Topic", t) for i, t in enumerate(slots)},
            "restricted": bool(request.releasable_to),
            "releasableTo": [
                entity_ref("Party", code) for code in sorted(set(request.releasable_to))
            ],
            "providedFor": request.provided_for or "",
            "receivedUnder": request.received_under or "",
        },
        "parents": [],
    }
    context: Json = {
        "recipient": entity_ref("Party", recipient.code),
        "purpose": request.purpose or "",
        "status": dict(status) if status is not None else statuses(registry, at, interpretation),
        "releaseApproved": [
            entity_ref("Party", code)
            for code in _approved(request, ApprovalKind.RELEASE, at)
            if code in registry.parties
        ],
        "purposeApproved": _approved(request, ApprovalKind.PURPOSE, at),
    }
    cedar: Json = {
        "principal": uid("Party", holder.code),
        "action": uid("Action", "provide"),
        "resource": uid("Item", item_id),
        "context": context,
    }
    return CedarRequest(cedar, [item, *topic_entities(topics)])
