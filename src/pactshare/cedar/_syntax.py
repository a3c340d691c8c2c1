"""Small builders of Cedar policy text shared by :mod:`~pactshare.cedar.policies` and
:mod:`~pactshare.cedar.onward`.

Every identifier pactshare writes into a policy (party codes, agreement ids, level ids,
topics) is restricted to ASCII letters, digits, ``-`` and ``/`` by the domain, and string
literals are escaped anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from pactshare.domain import Agreement, Registry

__all__ = [
    "ALLOWING_STATUSES",
    "MAX_TOPICS",
    "in_force",
    "leg",
    "levels",
    "one_of",
    "party",
    "policy",
    "releasable",
    "scope",
    "string",
]

#: Cedar has no "for all" over a set, so an item's topics are also given as fixed slots
#: ``topic0`` … ``topic3`` (unused slots repeat ``topic0``); a policy requires every slot to be
#: within the agreement's scope. An item with more topics cannot be translated.
MAX_TOPICS = 4

#: Statuses under which an agreement allows new provision (§6).
ALLOWING_STATUSES = ("in_force", "termination_pending", "notice_suspended")


def string(text: str) -> str:
    """A Cedar string literal (ids are ASCII; JSON escaping is valid Cedar escaping)."""
    return json.dumps(text)


def party(code: str) -> str:
    return f"Party::{string(code)}"


def in_force(agreement_id: str) -> str:
    allowing = ", ".join(string(s) for s in ALLOWING_STATUSES)
    return f"[{allowing}].contains(context.status[{string(agreement_id)}])"


def levels(agreement: Agreement, code: str, needed: Iterable[str]) -> list[str]:
    """Party ``code``'s level ids in rows that give every ``needed`` party an equivalent, at or
    below the cap (rows are listed from the highest down)."""
    needed = tuple(needed)
    labels = [row.label for row in agreement.equivalence]
    floor = labels.index(agreement.classification_cap) if agreement.classification_cap else 0
    return [
        level
        for index, row in enumerate(agreement.equivalence)
        if index >= floor and code in row.levels and all(p in row.levels for p in needed)
        for level in row.levels[code]
    ]


def one_of(expr: str, values: Sequence[str]) -> str:
    return f"[{', '.join(string(v) for v in values)}].contains({expr})"


def scope(agreement: Agreement) -> list[str]:
    """Every topic slot within the agreement's scope; nothing to check for a ``*`` scope
    (every ``Topic`` entity descends from ``Topic::"*"``)."""
    if "*" in agreement.scope:
        return []
    topics = ", ".join(f"Topic::{string(t)}" for t in agreement.scope)
    return [f"resource.topic{i} in [{topics}]" for i in range(MAX_TOPICS)]


def releasable(*parties: str) -> str:
    listed = ", ".join(party(p) for p in parties)
    return f"(!resource.restricted || resource.releasableTo.containsAll([{listed}]))"


def leg(registry: Registry, arrangement: Agreement, a: str, b: str) -> list[str] | None:
    """The condition that the a–b leg of a hub route is protected; None if it cannot be."""
    if not arrangement.protection_from:
        return []
    protecting = [
        agreement_id
        for agreement_id in arrangement.protection_from
        if agreement_id in registry.agreements
        and set(registry.agreements[agreement_id].parties) == {a, b}
    ]
    if not protecting:
        return None
    return [f"({' || '.join(in_force(agreement_id) for agreement_id in protecting)})"]


def policy(ident: str, sender: str, conditions: Sequence[str]) -> str:
    body = " &&\n  ".join(conditions) if conditions else "true"
    return (
        f"@id({string(ident)})\n"
        f'permit (principal == {party(sender)}, action == Action::"provide", resource is Item)\n'
        f"when {{\n  {body}\n}};\n"
    )
