"""Cedar policies for onward release: a holder who is not the originator passes the item on.

The holder's copy is bound by the agreement it was received under (``resource.receivedUnder``)
or, when that is not known, by every agreement between the originator and the holder —
terminated ones included (R-SURV-1). Under each binding agreement, a release to a third
country needs the originator's prior written approval (R-PRO-1) and a use for a new purpose
needs it too (R-PRO-2); the approvals in effect at the instant come in the context.

The item then travels as the holder marked it: its equivalent of the originator's level under
the first binding agreement that gives it one (pactshare's convention when the request does
not name the agreement), onward under a bilateral between holder and recipient, or — when
the holder is a hub — under the arrangement, with the originator's consent (R-TISA-6).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pactshare.cedar._syntax import (
    CedarPolicy,
    Expr,
    any_of,
    contains,
    context,
    equals,
    in_force,
    leg,
    levels,
    literal,
    one_of,
    party,
    policy,
    releasable,
    resource,
    scope,
)
from pactshare.domain import Agreement, Registry

__all__ = ["onward_policies"]


def _conditions(
    originator: str, holder: str, recipient: str, governing: Sequence[Agreement]
) -> list[Expr]:
    """What every binding agreement requires before the holder's copy goes to ``recipient``."""
    conditions: list[Expr] = []
    for agreement in governing:
        third = recipient not in (originator, holder) and recipient not in agreement.parties
        if third and agreement.third_party_release_needs_approval:
            conditions.append(contains(context("releaseApproved"), party(recipient)))
        if agreement.purpose_change_needs_approval:
            conditions.append(
                any_of(
                    equals(context("purpose"), literal("")),
                    equals(resource("providedFor"), literal("")),
                    equals(context("purpose"), resource("providedFor")),
                    contains(context("purposeApproved"), context("purpose")),
                )
            )
    return list({condition.text: condition for condition in conditions}.values())


def _holder_levels(
    originator: str, holder: str, governing: Sequence[Agreement]
) -> list[tuple[list[str], str]]:
    """(originator's level ids, the holder's marking level) for each way the holder holds it;
    a level counts under the first binding agreement that gives the holder an equivalent."""
    taken: set[str] = set()
    result: list[tuple[list[str], str]] = []
    for agreement in governing:
        found: list[str] = []
        for row in agreement.equivalence:
            if originator in row.levels and holder in row.levels:
                fresh = [level for level in row.levels[originator] if level not in taken]
                if fresh:
                    result.append((fresh, row.levels[holder][0]))
                found.extend(row.levels[originator])
        taken.update(found)
    return result


def _routes(
    registry: Registry,
    *,
    originator: str,
    holder: str,
    recipient: str,
    received: str,
    governing: Sequence[Agreement],
) -> Iterator[CedarPolicy]:
    held = _holder_levels(originator, holder, governing)
    if not held:
        return
    base = [
        equals(context("recipient"), party(recipient)),
        equals(resource("originator"), party(originator)),
        equals(resource("receivedUnder"), literal(received)),
        *_conditions(originator, holder, recipient, governing),
    ]
    tag = f"{originator} item held by {holder} (received under {received or 'any'})"
    if recipient in (originator, holder):
        every = [level for originator_levels, _ in held for level in originator_levels]
        yield policy(
            f"onward-return {tag} ->{recipient}",
            holder,
            [*base, one_of(resource("level"), every)],
        )
        return
    for arrangement in governing:
        if arrangement.hub != holder or recipient not in arrangement.parties:
            continue
        allowed = levels(arrangement, originator, (recipient, holder))
        protected = leg(registry, arrangement, holder, recipient)
        if not allowed or protected is None:
            continue
        consent = (
            [contains(context("releaseApproved"), party(recipient))]
            if arrangement.relay_needs_originator_consent
            else []
        )
        yield policy(
            f"onward-hub {arrangement.id} {tag} ->{recipient}",
            holder,
            [
                *base,
                in_force(arrangement.id),
                one_of(resource("level"), allowed),
                *scope(arrangement),
                releasable(recipient),
                *protected,
                *consent,
            ],
        )
    for carrier in registry.bilaterals(holder, recipient):
        carried = set(levels(carrier, holder, (recipient,)))
        every = [level for ids, marked in held if marked in carried for level in ids]
        if not every:
            continue
        yield policy(
            f"onward {carrier.id} {tag} ->{recipient}",
            holder,
            [
                *base,
                in_force(carrier.id),
                one_of(resource("level"), every),
                *scope(carrier),
                releasable(recipient),
            ],
        )


def _borrowed(
    registry: Registry, received: Agreement, originator: str, holder: str
) -> tuple[Agreement, ...]:
    """The agreements an arrangement borrows its protection from (R-TISA-4) that bind both
    the originator and the holder: they protect an item received under it too."""
    return tuple(
        agreement
        for agreement_id in received.protection_from
        if (agreement := registry.agreements.get(agreement_id)) is not None
        and {originator, holder} <= set(agreement.parties)
    )


def onward_policies(registry: Registry) -> Iterator[CedarPolicy]:
    """Every onward-release policy of ``registry``."""
    codes = sorted(registry.parties)
    agreements = [registry.agreements[key] for key in sorted(registry.agreements)]
    for originator in codes:
        for holder in codes:
            if holder == originator:
                continue
            variants: list[tuple[str, tuple[Agreement, ...]]] = [
                (
                    "",
                    (
                        *registry.bilaterals(originator, holder),
                        *registry.hub_arrangements(originator, holder),
                    ),
                ),
                *(
                    (agreement.id, (agreement, *_borrowed(registry, agreement, originator, holder)))
                    for agreement in agreements
                ),
            ]
            for received, governing in variants:
                for recipient in codes:
                    yield from _routes(
                        registry,
                        originator=originator,
                        holder=holder,
                        recipient=recipient,
                        received=received,
                        governing=governing,
                    )
