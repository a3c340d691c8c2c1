"""Small builders of Cedar policies shared by :mod:`~pactshare.cedar.policies` and
:mod:`~pactshare.cedar.onward`, each in Cedar's two forms at once: policy text and the JSON
policy form (Cedar's "EST"), so that ``policies.cedar`` and ``policies.json`` say the same.

Every identifier pactshare writes into a policy (party codes, agreement ids, level ids,
topics) is restricted to ASCII letters, digits, ``-`` and ``/`` by the domain, and string
literals are escaped anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from pactshare.domain import Agreement, Registry

__all__ = [
    "ALLOWING_STATUSES",
    "MAX_TOPICS",
    "CedarPolicy",
    "Expr",
    "any_of",
    "contains",
    "context",
    "entity",
    "equals",
    "in_force",
    "leg",
    "levels",
    "literal",
    "one_of",
    "party",
    "policy",
    "releasable",
    "resource",
    "scope",
    "string",
]

Json = dict[str, Any]

#: Cedar has no "for all" over a set, so an item's topics are also given as fixed slots
#: ``topic0`` … ``topic3`` (unused slots repeat ``topic0``); a policy requires every slot to be
#: within the agreement's scope. An item with more topics cannot be translated.
MAX_TOPICS = 4

#: Statuses under which an agreement allows new provision (§6).
ALLOWING_STATUSES = ("in_force", "termination_pending", "notice_suspended")


def string(text: str) -> str:
    """A Cedar string literal (ids are ASCII; JSON escaping is valid Cedar escaping)."""
    return json.dumps(text)


@dataclass(frozen=True, slots=True)
class Expr:
    """A Cedar expression as policy text and as Cedar's JSON expression form."""

    text: str
    est: Json

    def get(self, attribute: str) -> Expr:
        """``self.attribute``: the attributes pactshare names are identifiers."""
        return Expr(f"{self.text}.{attribute}", {".": {"left": self.est, "attr": attribute}})

    def index(self, key: str) -> Expr:
        """``self["key"]``: for keys that are data (agreement ids), never read as syntax."""
        return Expr(f"{self.text}[{string(key)}]", {".": {"left": self.est, "attr": key}})


def _var(name: str) -> Expr:
    return Expr(name, {"Var": name})


def context(*path: str) -> Expr:
    return reduce(Expr.get, path, _var("context"))


def resource(*path: str) -> Expr:
    return reduce(Expr.get, path, _var("resource"))


def literal(value: str) -> Expr:
    return Expr(string(value), {"Value": value})


def entity(kind: str, ident: str) -> Expr:
    return Expr(f"{kind}::{string(ident)}", {"Value": {"__entity": {"type": kind, "id": ident}}})


def party(code: str) -> Expr:
    return entity("Party", code)


def _set(items: Iterable[Expr]) -> Expr:
    listed = list(items)
    return Expr(f"[{', '.join(i.text for i in listed)}]", {"Set": [i.est for i in listed]})


def equals(left: Expr, right: Expr) -> Expr:
    return Expr(f"{left.text} == {right.text}", {"==": {"left": left.est, "right": right.est}})


def contains(collection: Expr, element: Expr, *, method: str = "contains") -> Expr:
    """``collection.contains(element)`` (or ``containsAll``)."""
    return Expr(
        f"{collection.text}.{method}({element.text})",
        {method: {"left": collection.est, "right": element.est}},
    )


def any_of(*options: Expr) -> Expr:
    """``(a || b || …)``: parenthesised, as it stands among the conditions of a policy."""
    est = reduce(lambda a, b: {"||": {"left": a, "right": b}}, (o.est for o in options))
    return Expr(f"({' || '.join(o.text for o in options)})", est)


def _all_of(conditions: Sequence[Expr]) -> Expr:
    if not conditions:
        return Expr("true", {"Value": True})
    est = reduce(lambda a, b: {"&&": {"left": a, "right": b}}, (c.est for c in conditions))
    return Expr(" &&\n  ".join(c.text for c in conditions), est)


def in_force(agreement_id: str) -> Expr:
    return one_of(context("status").index(agreement_id), ALLOWING_STATUSES)


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


def one_of(expr: Expr, values: Sequence[str]) -> Expr:
    return contains(_set(literal(v) for v in values), expr)


def scope(agreement: Agreement) -> list[Expr]:
    """Every topic slot within the agreement's scope; nothing to check for a ``*`` scope
    (every ``Topic`` entity descends from ``Topic::"*"``)."""
    if "*" in agreement.scope:
        return []
    topics = _set(entity("Topic", t) for t in agreement.scope)
    return [
        Expr(f"{slot.text} in {topics.text}", {"in": {"left": slot.est, "right": topics.est}})
        for slot in (resource(f"topic{i}") for i in range(MAX_TOPICS))
    ]


def releasable(*parties: str) -> Expr:
    restricted = resource("restricted")
    unrestricted = Expr(f"!{restricted.text}", {"!": {"arg": restricted.est}})
    listed = _set(party(p) for p in parties)
    return any_of(unrestricted, contains(resource("releasableTo"), listed, method="containsAll"))


def leg(registry: Registry, arrangement: Agreement, a: str, b: str) -> list[Expr] | None:
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
    return [any_of(*(in_force(agreement_id) for agreement_id in protecting))]


@dataclass(frozen=True, slots=True)
class CedarPolicy:
    """One ``permit``: its id (the ``@id`` annotation in text, the policy id in JSON), its text
    and its JSON form."""

    ident: str
    text: str
    est: Json


def policy(ident: str, sender: str, conditions: Sequence[Expr]) -> CedarPolicy:
    body = _all_of(conditions)
    principal = party(sender)
    text = (
        f"@id({string(ident)})\n"
        f'permit (principal == {principal.text}, action == Action::"provide", resource is Item)\n'
        f"when {{\n  {body.text}\n}};\n"
    )
    est: Json = {
        "effect": "permit",
        "principal": {"op": "==", "entity": principal.est["Value"]["__entity"]},
        "action": {"op": "==", "entity": {"type": "Action", "id": "provide"}},
        "resource": {"op": "is", "entity_type": "Item"},
        "conditions": [{"kind": "when", "body": body.est}],
        "annotations": {"id": ident},
    }
    return CedarPolicy(ident, text, est)
