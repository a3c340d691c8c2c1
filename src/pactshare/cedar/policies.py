"""The Cedar policy set of a registry: one ``permit`` per way an item may travel.

Written from the rulebook, not from :mod:`pactshare.domain.policy`, so that the two can be
checked against each other. Cedar has no quantifiers, so "there is an agreement such that…"
becomes one policy per agreement (and per direction), with the agreement's facts (parties,
equivalence table, cap, scope, protecting bilaterals) written in as literals. Anything not
permitted is refused (Cedar's default deny), as the engine fails closed.

Rules translated:

* R-DUR-1, §6: an agreement allows new provision while ``in_force``, ``termination_pending``
  (R-STATE-1) or ``notice_suspended`` (R-STATE-2); the status comes from the context.
* R-CLS-1/2: the originator's level must be in an equivalence row that gives every party on
  the route an equivalent (the level ceiling); R-TISA-10: not in a row above the local cap.
* R-DEF-1, R-TISA-2: every topic within the agreement's scope (``Topic`` hierarchy).
* R-PRO-1 (label): a non-empty releasable-to must name every party the item reaches.
* R-TISA-4/5: a relay goes originator → hub → recipient, each leg protected by an in-force
  bilateral the arrangement names; there is no direct channel under a hub arrangement.
* R-PRO-1/2, R-SURV-1, R-TISA-6: onward release by a holder other than the originator needs
  the originator's prior approval for a third country or a new purpose under every agreement
  that binds the holder's copy (even terminated), and a hub's onward release needs the
  originator's consent where the arrangement says so.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from pactshare.cedar._syntax import (
    ALLOWING_STATUSES,
    MAX_TOPICS,
    CedarPolicy,
    Expr,
    context,
    equals,
    in_force,
    leg,
    levels,
    one_of,
    party,
    policy,
    releasable,
    resource,
    scope,
)
from pactshare.cedar.onward import onward_policies
from pactshare.domain import Agreement, AgreementKind, Registry

__all__ = ["ALLOWING_STATUSES", "MAX_TOPICS", "cedar_policies", "policy_set_json", "policy_text"]


def _first_leg(sender: str, recipient: str) -> list[Expr]:
    """The originator itself provides the item (no holder's copy to protect yet)."""
    return [
        equals(context("recipient"), party(recipient)),
        equals(resource("originator"), party(sender)),
    ]


def _direct(agreement: Agreement, sender: str, recipient: str) -> CedarPolicy | None:
    """Originator → recipient under a bilateral agreement between them."""
    allowed = levels(agreement, sender, (recipient,))
    if not allowed:
        return None
    return policy(
        f"direct {agreement.id} {sender}->{recipient}",
        sender,
        [
            *_first_leg(sender, recipient),
            in_force(agreement.id),
            one_of(resource("level"), allowed),
            *scope(agreement),
            releasable(recipient),
        ],
    )


def _hub_route(
    registry: Registry, arrangement: Agreement, sender: str, recipient: str
) -> CedarPolicy | None:
    """Originator → hub → recipient (a relay), or one leg to or from the hub."""
    hub = arrangement.hub or ""
    path = (sender, recipient) if hub in (sender, recipient) else (sender, hub, recipient)
    allowed = levels(arrangement, sender, path[1:])
    legs = [leg(registry, arrangement, a, b) for a, b in pairwise(path)]
    if not allowed or any(protected is None for protected in legs):
        return None
    kind = "relay" if len(path) == 3 else "hub-leg"
    return policy(
        f"{kind} {arrangement.id} {'->'.join(path)}",
        sender,
        [
            *_first_leg(sender, recipient),
            in_force(arrangement.id),
            one_of(resource("level"), allowed),
            *scope(arrangement),
            releasable(*path[1:]),
            *(condition for protected in legs for condition in protected or ()),
        ],
    )


def cedar_policies(registry: Registry, *, onward: bool = True) -> list[CedarPolicy]:
    """The policy set for ``registry``; ``onward=False`` leaves out release by non-originators.

    Ids are unique (each names its agreement, route and direction); a clash is a bug here.
    """
    blocks: list[CedarPolicy | None] = []
    agreements = [registry.agreements[key] for key in sorted(registry.agreements)]
    for agreement in agreements:
        for sender in agreement.parties:
            for recipient in agreement.parties:
                if sender == recipient:
                    continue
                if agreement.kind is AgreementKind.BILATERAL:
                    blocks.append(_direct(agreement, sender, recipient))
                else:
                    blocks.append(_hub_route(registry, agreement, sender, recipient))
    if onward:
        blocks.extend(onward_policies(registry))
    found = [block for block in blocks if block]
    if len({p.ident for p in found}) != len(found):
        raise AssertionError("two Cedar policies share an id")  # pragma: no cover - a bug
    return found


def policy_text(registry: Registry, *, onward: bool = True) -> str:
    """The policy set as Cedar text (``policies.cedar``): ids only as ``@id`` annotations,
    since Cedar numbers the policies of a text file itself (``policy0``, ``policy1``…)."""
    header = "// Generated by `pactshare export cedar` from the agreements of a registry.\n"
    return header + "\n".join(p.text for p in cedar_policies(registry, onward=onward))


def policy_set_json(registry: Registry, *, onward: bool = True) -> dict[str, Any]:
    """The policy set in Cedar's JSON policy-set form (``policies.json``), keyed by our ids:
    Cedar reports these ids in a decision's reasons."""
    return {
        "staticPolicies": {p.ident: p.est for p in cedar_policies(registry, onward=onward)},
        "templates": {},
        "templateLinks": [],
    }
