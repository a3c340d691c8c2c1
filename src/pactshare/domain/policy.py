"""The policy: may this item go from its holder to a recipient at instant ``at``, and why?

:func:`decide` weighs every route the registry offers — directly under a bilateral agreement,
through a hub under an arrangement, or onward by a holder who is not the originator — and
returns a :class:`~pactshare.domain.decision.Decision`. Each check is a small function that
returns a :class:`~pactshare.domain.decision.Reason`; a route is viable only if no check denies
it (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from pactshare.domain._snapshots import Snapshot, snapshot
from pactshare.domain.agreements import Agreement, AgreementKind, EquivalenceRow
from pactshare.domain.approvals import Approval, ApprovalKind
from pactshare.domain.decision import (
    Consent,
    Decision,
    Effect,
    Hop,
    Marking,
    Outcome,
    Reason,
    Request,
    Route,
)
from pactshare.domain.instants import require_aware
from pactshare.domain.lifecycle import DEFAULT_INTERPRETATION, Interpretation, Status
from pactshare.domain.parties import ClassificationLevel, Party
from pactshare.domain.registry import Registry
from pactshare.domain.topics import uncovered
from pactshare.errors import PolicyError

__all__ = ["decide", "decide_many"]


_Key = tuple[str, ...]
_K = TypeVar("_K")
_V = TypeVar("_V")


@dataclass(slots=True)
class _Memo:
    """Per-registry look-ups, and the results of the checks that depend only on the registry
    and their arguments (not on the instant): equivalence rows, scope, caps, markings.

    Memoising pure functions of immutable values changes no decision; it spares rebuilding
    the same reasons for every decision. Built once per registry object (the cache holds the
    registry, so its id stays valid), bounded.
    """

    registry: Registry
    levels: dict[tuple[str, str], ClassificationLevel]
    rows: dict[_Key, tuple[EquivalenceRow | None, Reason]] = field(default_factory=dict)
    scopes: dict[_Key, Reason] = field(default_factory=dict)
    releasable: dict[_Key, Reason | None] = field(default_factory=dict)
    caps: dict[_Key, Reason | None] = field(default_factory=dict)
    markings: dict[_Key, Marking] = field(default_factory=dict)
    topics: dict[tuple[str, ...], bool] = field(default_factory=dict)  # checked topic lists
    citations: dict[tuple[str, str], str] = field(default_factory=dict)
    hubs: dict[frozenset[str], tuple[Agreement, ...]] = field(default_factory=dict)
    notes: dict[tuple[object, ...], Reason] = field(default_factory=dict)  # fixed-text notes
    legs: dict[_Key, tuple[Agreement, ...]] = field(default_factory=dict)
    protections: dict[tuple[object, ...], tuple[str | None, Reason]] = field(default_factory=dict)
    statuses: dict[tuple[object, ...], Reason] = field(default_factory=dict)
    fixed: dict[tuple[object, ...], Route] = field(default_factory=dict)  # fixed routes
    routes: dict[tuple[object, ...], _Template] = field(default_factory=dict)
    consents: dict[tuple[object, ...], tuple[Consent, Reason | None]] = field(default_factory=dict)

    def once(self, table: dict[_K, _V], key: _K, make: Callable[[], _V]) -> _V:
        """``table[key]``, made by ``make()`` the first time."""
        found = table.get(key)
        if found is None:
            found = self.remember(table, key, make())
        return found

    @staticmethod
    def remember(table: dict[_K, _V], key: _K, value: _V) -> _V:
        """Store ``value`` under ``key``; a table that outgrows its bound starts afresh."""
        if len(table) >= _MEMO_ENTRIES:
            table.clear()
        table[key] = value
        return value

    def cite(self, agreement: Agreement, clause: str) -> str:
        key = (agreement.id, clause)
        found = self.citations.get(key)
        if found is None:
            found = self.remember(self.citations, key, agreement.article(clause))
        return found


@dataclass(slots=True)
class _Instant:
    """What every decision at one instant shares: each agreement's snapshot and the reasons
    that depend only on it (in force? is a hub leg protected?). :func:`decide_many` shares
    one across its batch; :func:`decide` makes a fresh one."""

    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    utc: datetime | None = None
    when: str | None = None  # the instant as the reasons write it
    in_force: dict[_Key, Reason] = field(default_factory=dict)


_MEMO_ENTRIES = 50_000
_memos: dict[int, _Memo] = {}


def _memo(registry: Registry) -> _Memo:
    memo = _memos.get(id(registry))
    if memo is None or memo.registry is not registry:
        levels = {
            (code, level.id): level
            for code, party in registry.parties.items()
            for level in party.scheme.levels
        }
        if len(_memos) >= 256:
            _memos.pop(next(iter(_memos)))
        memo = _memos[id(registry)] = _Memo(registry, levels)
    return memo


@dataclass(slots=True)
class _Context:
    """What every check of one decision needs; built once per decision.

    ``shared`` holds the agreements' snapshots at this instant; :func:`decide_many` shares it
    across a batch. Each decision still collects the notes of the agreements it looks at.
    """

    registry: Registry
    request: Request
    at: datetime
    interpretation: Interpretation
    originator: Party
    holder: Party
    recipient: Party
    level: ClassificationLevel
    topics: tuple[str, ...]
    shared: _Instant
    memo: _Memo
    notes: list[Reason] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    consulted: list[Snapshot] | None = None  # while a route is built for reuse

    @property
    def utc(self) -> datetime:
        return self.shared.utc or self.at.astimezone(UTC)

    @property
    def when(self) -> str:
        if self.shared.when is None:
            self.shared.when = self.at.isoformat()
        return self.shared.when

    def level_of(self, party: str, level_id: str) -> ClassificationLevel:
        """A level of a party by id (both known to the registry: it checked its agreements)."""
        found = self.memo.levels.get((party, level_id))
        return found or self.registry.party(party).level(level_id)

    def status(self, agreement: Agreement) -> Snapshot:
        found = self.shared.snapshots.get(agreement.id)
        if found is None or found.agreement is not agreement:
            found = snapshot(agreement, self.at, self.interpretation, utc=self.utc)
            self.shared.snapshots[agreement.id] = found
        if agreement.id not in self._seen:
            self._seen.add(agreement.id)
            self.notes.extend(found.notes)
        if self.consulted is not None:
            self.consulted.append(found)
        return found

    def approval(self, kind: ApprovalKind, subject: str) -> tuple[bool, Approval | None]:
        """Whether an approval is in effect now, and the matching one (maybe recorded too late)."""
        found = None
        for approval in self.request.approvals:
            if approval.matches(self.originator.code, kind, subject, self.request.item_id):
                if approval.in_effect(self.at):
                    return True, approval
                found = approval
        return False, found


def decide(
    request: Request,
    registry: Registry,
    at: datetime,
    interpretation: Interpretation = DEFAULT_INTERPRETATION,
) -> Decision:
    """Decide ``request`` against ``registry`` at instant ``at``."""
    require_aware(at, what="decision instant")
    return _decide(request, registry, at, interpretation, _Instant(utc=at.astimezone(UTC)))


def decide_many(
    requests: Sequence[Request],
    registry: Registry,
    at: datetime,
    interpretation: Interpretation = DEFAULT_INTERPRETATION,
) -> list[Decision]:
    """Decide each request at the same instant; the same decisions as :func:`decide`, with
    the per-instant work (each agreement's status and its notes) done once for the batch."""
    require_aware(at, what="decision instant")
    shared = _Instant(utc=at.astimezone(UTC))
    return [_decide(request, registry, at, interpretation, shared) for request in requests]


def _decide(
    request: Request,
    registry: Registry,
    at: datetime,
    interpretation: Interpretation,
    shared: _Instant,
) -> Decision:
    parties = registry.parties
    held_by = request.holder or request.originator
    originator = parties.get(request.originator) or registry.party(request.originator)
    holder = parties.get(held_by) or registry.party(held_by)
    recipient = parties.get(request.recipient) or registry.party(request.recipient)
    if not request.topics:
        raise PolicyError("an item needs at least one topic (e.g. dprk-missile)")
    memo = _memo(registry)
    if request.topics not in memo.topics:
        registry.check_topics(request.topics)
        memo.remember(memo.topics, request.topics, True)
    topics = request.topics
    ctx = _Context(
        registry=registry,
        request=request,
        at=at,
        interpretation=interpretation,
        originator=originator,
        holder=holder,
        recipient=recipient,
        level=memo.levels.get((originator.code, request.classification))
        or originator.level(request.classification),
        memo=memo,
        topics=topics,
        shared=shared,
    )
    if recipient.code == holder.code and holder.code == originator.code:
        raise PolicyError(f"{recipient.code} is both the originator and the recipient")
    routes = list(_candidates(ctx))
    return _choose(ctx, routes)


def _candidates(ctx: _Context) -> Iterable[Route]:
    holder, recipient = ctx.holder.code, ctx.recipient.code
    if holder == ctx.originator.code:
        label = (ctx.level.id, ctx.topics, ctx.request.releasable_to)
        for agreement in ctx.registry.bilaterals(holder, recipient):
            yield _reused(
                ctx,
                ("direct", agreement.id, holder, recipient, *label),
                (agreement, "R-DUR-1"),
                partial(_direct, ctx, agreement, holder, ctx.level.id, kind="direct"),
            )
        for arrangement in _hub_arrangements(ctx, holder, recipient):
            if arrangement.hub in (holder, recipient):
                yield _reused(
                    ctx,
                    ("hub", arrangement.id, holder, recipient, *label),
                    (arrangement, "R-TISA-1"),
                    partial(_hub_hop, ctx, arrangement),
                )
            else:
                yield ctx.memo.once(
                    ctx.memo.fixed,
                    ("R-TISA-5", arrangement.id, holder, recipient),
                    partial(_no_direct_channel, arrangement, holder, recipient),
                )
                consent = ctx.approval(ApprovalKind.RELEASE, recipient)  # at this instant
                yield _reused(
                    ctx,
                    ("relay", arrangement.id, holder, recipient, *label, *consent),
                    (arrangement, "R-TISA-1"),
                    partial(_relay, ctx, arrangement),
                )
        return
    yield from _onward(ctx)


@dataclass(frozen=True, slots=True)
class _Template:
    """An originator's route as built once, with the snapshots (status segments) it consulted
    in order. Between the same segments the route differs only in its first reason, the
    route's own in-force check, whose text may name the instant."""

    route: Route
    consulted: tuple[Snapshot, ...]


def _reused(
    ctx: _Context,
    key: tuple[object, ...],
    lead: tuple[Agreement, str],
    build: Callable[[], Route],
) -> Route:
    """The route under ``key`` (everything it reads but the statuses and the instant): reused
    if every agreement it consulted is still in the same status segment — consulting them
    again, in order, so that the decision cites the same notes — otherwise built afresh.

    The sequence of agreements a route consults depends only on the statuses already
    consulted, so stopping at the first changed segment and rebuilding consults them in the
    same order as a fresh build would."""
    full_key = (*key, ctx.interpretation)
    template = ctx.memo.routes.get(full_key)
    if template is not None:
        for seen in template.consulted:
            if ctx.status(seen.agreement) is not seen:
                break
        else:
            first = _in_force(ctx, *lead)
            route = template.route
            if route.reasons[0] == first:
                return route
            return Route(route.kind, route.hops, route.consents, (first, *route.reasons[1:]))
    ctx.consulted = []
    try:
        route = build()
        consulted = tuple(ctx.consulted)
    finally:
        ctx.consulted = None
    ctx.memo.remember(ctx.memo.routes, full_key, _Template(route, consulted))
    return route


def _choose(ctx: _Context, routes: list[Route]) -> Decision:
    """The shortest viable route wins; a relay explains why no direct route was possible."""
    viable = [route for route in routes if route.viable]
    notes = tuple(ctx.notes)
    conflict = any(note.rule == "R-STATE-3" for note in notes)
    if not viable:
        denials = tuple(r for route in routes for r in route.reasons if r.effect is Effect.DENY)
        if not routes:
            text = f"no agreement lets {ctx.holder.code} provide to {ctx.recipient.code}"
            denials = (Reason("R-DEF-2", text, Effect.DENY),)
        return Decision(
            Outcome.REFUSED, ctx.at, ctx.interpretation, (), (), _unique(*denials, *notes),
            conflict=conflict,
        )  # fmt: skip
    chosen = min(viable, key=lambda route: len(route.hops))
    outcome = Outcome.ALLOWED if len(chosen.hops) == 1 else Outcome.RELAY
    why_not_direct = tuple(
        reason
        for route in routes
        if outcome is Outcome.RELAY and not route.viable and route.kind == "direct"
        for reason in route.reasons
        if reason.effect is Effect.DENY
    )
    return Decision(
        outcome=outcome,
        at=ctx.at,
        interpretation=ctx.interpretation,
        route=chosen.hops,
        consents=chosen.consents,
        reasons=_unique(*why_not_direct, *chosen.reasons, *notes),
        alternatives=tuple(route for route in viable if route is not chosen),
        conflict=conflict,
    )


def _unique(*reasons: Reason) -> tuple[Reason, ...]:
    """Each reason once, in first-seen order (several agreements may state the same rule)."""
    return tuple(dict.fromkeys(reasons))


# --- the checks ---------------------------------------------------------------------------


def _hub_arrangements(ctx: _Context, a: str, b: str) -> tuple[Agreement, ...]:
    key = frozenset((a, b))
    found = ctx.memo.hubs.get(key)
    if found is None:
        found = ctx.memo.remember(ctx.memo.hubs, key, ctx.registry.hub_arrangements(a, b))
    return found


def _in_force(ctx: _Context, agreement: Agreement, rule_in_force: str) -> Reason:
    key = (agreement.id, rule_in_force)
    found = ctx.shared.in_force.get(key)
    if found is None or ctx.shared.snapshots[agreement.id].agreement is not agreement:
        found = ctx.shared.in_force[key] = _in_force_uncached(ctx, agreement, rule_in_force)
    else:
        ctx.status(agreement)  # the decision still cites the agreement's notes
    return found


def _in_force_uncached(ctx: _Context, agreement: Agreement, rule_in_force: str) -> Reason:
    report = ctx.status(agreement)
    if report.status in (Status.IN_FORCE, Status.NOT_IN_FORCE):  # the text names the instant
        return _in_force_text(ctx, agreement, rule_in_force, report)
    return ctx.memo.once(
        ctx.memo.statuses,
        (agreement.id, rule_in_force, report.status, report.terminates_at),
        partial(_in_force_text, ctx, agreement, rule_in_force, report),
    )


def _in_force_text(
    ctx: _Context, agreement: Agreement, rule_in_force: str, report: Snapshot
) -> Reason:
    cite = ctx.memo.cite(agreement, "duration")
    when = ctx.when
    if report.status is Status.NOT_IN_FORCE:
        return Reason("R-EIF-1", f"{agreement.id} is not in force at {when}", Effect.DENY, cite)
    if report.status is Status.TERMINATED:
        ended = report.terminates_at.isoformat() if report.terminates_at else "earlier"
        return Reason(
            "R-SURV-1",
            f"{agreement.id} terminated at {ended}: no new provision under it (items already "
            "provided stay protected)",
            Effect.DENY,
            ctx.memo.cite(agreement, "survival") if "survival" in agreement.articles else cite,
        )
    if report.status is Status.TERMINATION_PENDING:
        ends = report.terminates_at.isoformat() if report.terminates_at else "?"
        text = f"{agreement.id}: notice of termination given; provision continues until {ends}"
        return Reason("R-STATE-1", text, Effect.PERMIT, cite)
    if report.status is Status.NOTICE_SUSPENDED:
        text = f"{agreement.id}: the notice of termination is suspended; the agreement continues"
        return Reason("R-STATE-2", text, Effect.PERMIT, cite)
    return Reason(rule_in_force, f"{agreement.id} is in force at {when}", Effect.PERMIT, cite)


def _row(
    ctx: _Context, agreement: Agreement, party: str, level_id: str, parties: Iterable[str]
) -> tuple[EquivalenceRow | None, Reason]:
    needed = tuple(parties)
    key = (agreement.id, party, level_id, *needed)
    found = ctx.memo.rows.get(key)
    if found is None:
        found = ctx.memo.remember(
            ctx.memo.rows, key, _row_uncached(ctx, agreement, party, level_id, needed)
        )
    return found


def _row_uncached(
    ctx: _Context, agreement: Agreement, party: str, level_id: str, parties: tuple[str, ...]
) -> tuple[EquivalenceRow | None, Reason]:
    cite = ctx.memo.cite(agreement, "classification")
    row = agreement.row_of(party, level_id)
    name = ctx.level_of(party, level_id).name
    if row is None:
        text = f"{party} {name} is outside {agreement.id}: not in its equivalence table"
        return None, Reason("R-CLS-2", text, Effect.DENY, cite)
    missing = [p for p in parties if p not in row.levels]
    if missing:
        text = f"{agreement.id} gives no {', '.join(missing)} level equivalent to {party} {name}"
        return None, Reason("R-CLS-1", text, Effect.DENY, cite)
    text = f"{party} {name} is {row.label}-equivalent under {agreement.id}"
    return row, Reason("R-CLS-1", text, Effect.PERMIT, cite)


def _cap(ctx: _Context, agreement: Agreement, row: EquivalenceRow) -> Reason | None:
    key = (agreement.id, row.label)
    if key not in ctx.memo.caps:
        ctx.memo.remember(ctx.memo.caps, key, _cap_uncached(agreement, row))
    return ctx.memo.caps[key]


def _cap_uncached(agreement: Agreement, row: EquivalenceRow) -> Reason | None:
    cap = agreement.classification_cap
    if cap is None:
        return None
    cap_row = next(r for r in agreement.equivalence if r.label == cap)
    if agreement.row_index(row) < agreement.row_index(cap_row):
        text = (
            f"{row.label} is above the {cap} cap on {agreement.id}: "
            "local policy cap (not a treaty rule)"
        )
        return Reason("R-TISA-10", text, Effect.DENY, f"{agreement.id} local policy")
    return None


def _scope(ctx: _Context, agreement: Agreement) -> Reason:
    key = (agreement.id, *ctx.topics)
    found = ctx.memo.scopes.get(key)
    if found is None:
        found = ctx.memo.remember(ctx.memo.scopes, key, _scope_uncached(ctx, agreement))
    return found


def _scope_uncached(ctx: _Context, agreement: Agreement) -> Reason:
    rule = "R-TISA-2" if agreement.kind is AgreementKind.HUB else "R-DEF-1"
    cite = ctx.memo.cite(agreement, "scope")
    outside = uncovered(agreement.scope, ctx.topics)
    if outside:
        text = f"{', '.join(outside)} outside {agreement.id} scope ({', '.join(agreement.scope)})"
        return Reason(rule, text, Effect.DENY, cite)
    return Reason(rule, f"topics within {agreement.id} scope", Effect.PERMIT, cite)


def _releasable(ctx: _Context, parties: Iterable[str]) -> Reason | None:
    if not ctx.request.releasable_to:
        return None
    needed = tuple(parties)
    key = (*ctx.request.releasable_to, "|", *needed)
    if key not in ctx.memo.releasable:
        ctx.memo.remember(ctx.memo.releasable, key, _releasable_uncached(ctx, needed))
    return ctx.memo.releasable[key]


def _releasable_uncached(ctx: _Context, parties: Iterable[str]) -> Reason | None:
    allowed = ctx.request.releasable_to
    if not allowed:
        return None
    barred = [p for p in parties if p not in allowed]
    if barred:
        text = (
            f"the label is not releasable to {', '.join(barred)} "
            f"(releasable to {', '.join(allowed)})"
        )
        return Reason("R-PRO-1", text, Effect.DENY)
    return Reason("R-PRO-1", f"the label is releasable to {', '.join(allowed)}", Effect.PERMIT)


def _marking(ctx: _Context, agreement: Agreement, row: EquivalenceRow, party: str) -> Marking:
    key = (agreement.id, row.label, party, ctx.originator.code)
    found = ctx.memo.markings.get(key)
    if found is None:
        found = ctx.memo.remember(
            ctx.memo.markings, key, _marking_uncached(ctx, agreement, row, party)
        )
    return found


def _marking_uncached(
    ctx: _Context, agreement: Agreement, row: EquivalenceRow, party: str
) -> Marking:
    level_id = row.marking_level(party)
    assert level_id is not None  # noqa: S101 - _row checked that the row holds this party
    level = ctx.level_of(party, level_id)
    return Marking(ctx.originator.code, party, level.id, level.name, row.label)


def _direct(ctx: _Context, agreement: Agreement, sender: str, level_id: str, *, kind: str) -> Route:
    recipient = ctx.recipient.code
    reasons = [_in_force(ctx, agreement, "R-DUR-1")]
    row, reason = _row(ctx, agreement, sender, level_id, (recipient,))
    reasons.append(reason)
    reasons.append(_scope(ctx, agreement))
    released = _releasable(ctx, (recipient,))
    if released:
        reasons.append(released)
    if row is None:
        return Route(kind, (), reasons=tuple(reasons))
    capped = _cap(ctx, agreement, row)
    if capped:
        reasons.append(capped)
    marking = _marking(ctx, agreement, row, recipient)
    reasons.append(
        ctx.memo.once(
            ctx.memo.notes,
            ("R-MARK-1", agreement.id, marking),
            lambda: Reason(
                "R-MARK-1",
                f"{recipient} marks it {marking.text}",
                Effect.NOTE,
                ctx.memo.cite(agreement, "marking"),
            ),
        )
    )
    hop = Hop(sender, recipient, agreement.id, marking)
    return Route(kind, (hop,), reasons=tuple(reasons))


def _no_direct_channel(arrangement: Agreement, sender: str, recipient: str) -> Route:
    text = (
        f"{arrangement.id} has no direct {sender} → {recipient} channel: "
        f"it passes only through {arrangement.hub}"
    )
    reason = Reason("R-TISA-5", text, Effect.DENY, arrangement.article("relay"))
    return Route("direct", (), reasons=(reason,))


def _protection(ctx: _Context, arrangement: Agreement, a: str, b: str) -> tuple[str | None, Reason]:
    """The leg's protection depends only on which listed bilaterals for it allow provision:
    memoised per registry on that, after looking at them (and citing their notes) in order."""
    matching = ctx.memo.once(
        ctx.memo.legs,
        (arrangement.id, a, b),
        partial(_protecting, ctx.registry, arrangement, frozenset((a, b))),
    )
    allowing: list[bool] = []
    for agreement in matching:
        allowing.append(ctx.status(agreement).status.allows_new_provision)
        if allowing[-1]:
            break
    return ctx.memo.once(
        ctx.memo.protections,
        (arrangement.id, a, b, *allowing),
        partial(_protection_uncached, ctx, arrangement, a, b),
    )


def _protecting(
    registry: Registry, arrangement: Agreement, pair: frozenset[str]
) -> tuple[Agreement, ...]:
    return tuple(
        agreement
        for agreement_id in arrangement.protection_from
        if (agreement := registry.agreements.get(agreement_id)) is not None
        and frozenset(agreement.parties) == pair
    )


def _protection_uncached(
    ctx: _Context, arrangement: Agreement, a: str, b: str
) -> tuple[str | None, Reason]:
    """The borrowed bilateral that protects the a↔b leg of a hub route (R-TISA-4).

    Any listed bilateral between a and b that is in force protects the leg (the first such, in
    the arrangement's order); the leg is unprotected only if none is.
    """
    cite = ctx.memo.cite(arrangement, "protection")
    matching = [
        agreement
        for agreement_id in arrangement.protection_from
        if (agreement := ctx.registry.agreements.get(agreement_id)) is not None
        and set(agreement.parties) == {a, b}
    ]
    for agreement in matching:
        if ctx.status(agreement).status.allows_new_provision:
            return agreement.id, Reason(
                "R-TISA-4",
                f"the {a}–{b} leg is protected under {agreement.id}",
                Effect.PERMIT,
                cite,
            )
    if len(matching) == 1:
        text = f"{matching[0].id}, which protects the {a}–{b} leg, is not in force"
        return None, Reason("R-TISA-4", text, Effect.DENY, cite)
    if matching:
        ids = ", ".join(agreement.id for agreement in matching)
        text = f"none of {ids}, which protect the {a}–{b} leg, is in force"
        return None, Reason("R-TISA-4", text, Effect.DENY, cite)
    if not arrangement.protection_from:
        return None, Reason("R-TISA-4", f"{arrangement.id} carries its own protection", Effect.NOTE)
    text = f"{arrangement.id} names no agreement protecting the {a}–{b} leg"
    return None, Reason("R-TISA-4", text, Effect.DENY, cite)


def _voluntary(arrangement: Agreement) -> tuple[Reason, ...]:
    if arrangement.binding:
        return ()
    text = (
        f"{arrangement.id} is voluntary and not legally binding: every relay is a discrete, "
        "approvable action, never automatic, and declining is no breach"
    )
    return (Reason("R-TISA-8", text, Effect.NOTE, arrangement.article("binding")),)


def _relay_consent(ctx: _Context, arrangement: Agreement) -> tuple[Consent, Reason | None]:
    recipient, originator = ctx.recipient.code, ctx.originator.code
    on_file, approval = ctx.approval(ApprovalKind.RELEASE, recipient)
    key = (arrangement.id, originator, ctx.holder.code, recipient, on_file, approval)
    return ctx.memo.once(
        ctx.memo.consents,
        key,
        lambda: _relay_consent_uncached(ctx, arrangement, on_file, approval),
    )


def _relay_consent_uncached(
    ctx: _Context, arrangement: Agreement, on_file: bool, approval: Approval | None
) -> tuple[Consent, Reason | None]:
    hub, recipient, originator = arrangement.hub or "", ctx.recipient.code, ctx.originator.code
    consent = Consent(originator, hub, recipient, "R-TISA-6", on_file)
    if not arrangement.relay_needs_originator_consent:
        return consent, None
    if ctx.holder.code == hub and not on_file:
        late = (
            f" (the approval on file was recorded at {approval.recorded_at.isoformat()}, "
            "not before)"
            if approval
            else ""
        )
        text = (
            f"{hub} may release to {recipient} only after {originator}'s approval is recorded{late}"
        )
        return consent, Reason("R-TISA-6", text, Effect.DENY, arrangement.article("relay"))
    state = "on file" if on_file else "needed before the hub releases it"
    text = f"{originator}'s consent to {hub}'s release to {recipient}: {state}"
    return consent, Reason("R-TISA-6", text, Effect.NOTE, arrangement.article("relay"))


def _relay(ctx: _Context, arrangement: Agreement) -> Route:
    """Originator → hub → recipient under a hub arrangement (R-TISA-5/6/7)."""
    hub = arrangement.hub or ""
    originator, recipient = ctx.originator.code, ctx.recipient.code
    reasons = [_in_force(ctx, arrangement, "R-TISA-1")]
    row, reason = _row(ctx, arrangement, originator, ctx.level.id, (hub, recipient))
    reasons.append(reason)
    reasons.append(_scope(ctx, arrangement))
    released = _releasable(ctx, (hub, recipient))
    if released:
        reasons.append(released)
    first_leg, reason = _protection(ctx, arrangement, originator, hub)
    reasons.append(reason)
    second_leg, reason = _protection(ctx, arrangement, hub, recipient)
    reasons.append(reason)
    if row is None:
        return Route("relay", (), reasons=tuple(reasons))
    capped = _cap(ctx, arrangement, row)
    if capped:
        reasons.append(capped)
    consent, reason_consent = _relay_consent(ctx, arrangement)
    if reason_consent:
        reasons.append(reason_consent)
    to_hub = _marking(ctx, arrangement, row, hub)
    to_recipient = _marking(ctx, arrangement, row, recipient)
    reasons.append(
        ctx.memo.once(
            ctx.memo.notes,
            ("R-TISA-7", arrangement.id, row.label, to_hub, to_recipient),
            lambda: Reason(
                "R-TISA-7",
                f"{hub} designates it {to_hub.name} ({row.label}) before sharing; "
                f"{recipient} marks it {to_recipient.text}",
                Effect.NOTE,
                ctx.memo.cite(arrangement, "protection"),
            ),
        )
    )
    if not arrangement.binding:
        reasons.extend(_voluntary(arrangement))
    hops = (
        Hop(originator, hub, arrangement.id, to_hub, first_leg),
        Hop(hub, recipient, arrangement.id, to_recipient, second_leg),
    )
    consents = (consent,) if arrangement.relay_needs_originator_consent else ()
    return Route("relay", hops, consents, tuple(reasons))


def _hub_hop(ctx: _Context, arrangement: Agreement) -> Route:
    """A single leg to or from the hub under the arrangement (the originator's own provision,
    or the hub's onward release of an item it holds)."""
    sender, recipient = ctx.holder.code, ctx.recipient.code
    hub_releases = sender == arrangement.hub and ctx.originator.code != sender
    reasons = [_in_force(ctx, arrangement, "R-TISA-1")]
    row, reason = _row(ctx, arrangement, ctx.originator.code, ctx.level.id, (recipient, sender))
    reasons.append(reason)
    reasons.append(_scope(ctx, arrangement))
    released = _releasable(ctx, (recipient,))
    if released:
        reasons.append(released)
    leg, reason = _protection(ctx, arrangement, sender, recipient)
    reasons.append(reason)
    consents: tuple[Consent, ...] = ()
    if row is not None:
        capped = _cap(ctx, arrangement, row)
        if capped:
            reasons.append(capped)
    if hub_releases:
        consent, reason_consent = _relay_consent(ctx, arrangement)
        consents = (consent,) if arrangement.relay_needs_originator_consent else ()
        if reason_consent:
            reasons.append(reason_consent)
    if not arrangement.binding:
        reasons.extend(_voluntary(arrangement))
    if row is None:
        return Route("direct", (), consents, tuple(reasons))
    marking = _marking(ctx, arrangement, row, recipient)
    if hub_releases:
        hub_level = _marking(ctx, arrangement, row, sender)
        reasons.append(
            Reason(
                "R-TISA-7",
                f"it carries the {sender}-equivalent classification {hub_level.name} and "
                f"{recipient} handles it under {leg or arrangement.id} as {marking.text}",
                Effect.NOTE,
                ctx.memo.cite(arrangement, "protection"),
            )
        )
    hop = Hop(sender, recipient, arrangement.id, marking, leg)
    return Route("direct", (hop,), consents, tuple(reasons))


def _onward(ctx: _Context) -> Iterable[Route]:
    """A holder other than the originator releases (or uses) the item (R-PRO-1/2, R-SURV-1).

    Unless the request names the agreement the item was received under, every agreement
    between the originator and the holder binds the holder's copy (fail closed).
    """
    originator, holder, recipient = ctx.originator.code, ctx.holder.code, ctx.recipient.code
    governing = _governing(ctx)
    conditions = tuple(c for agreement in governing for c in _protection_conditions(ctx, agreement))
    holder_row = next(
        (
            (agreement, row)
            for agreement in governing
            if (row := agreement.row_of(originator, ctx.level.id)) and holder in row.levels
        ),
        None,
    )
    if holder_row is None:
        text = f"no agreement gives {holder} an equivalent of {originator} {ctx.level.name}"
        if not governing:
            text = f"no agreement under which {holder} holds {originator}'s item"
        yield Route("onward", (), reasons=(*conditions, Reason("R-DEF-2", text, Effect.DENY)))
        return
    received, row = holder_row
    if recipient in (holder, originator):
        if recipient == holder:
            last = Reason("R-PRO-2", f"use by {holder} itself", Effect.NOTE)
        else:
            text = f"return to the originating party {originator} at the end of need"
            last = Reason("R-PRO-8", text, Effect.PERMIT)
        hop = Hop(holder, recipient, received.id, _marking(ctx, received, row, recipient))
        yield Route("onward", (hop,), reasons=(*conditions, last))
        return
    for arrangement in governing:
        if arrangement.hub == holder and recipient in arrangement.parties:
            route = _hub_hop(ctx, arrangement)
            yield Route("onward", route.hops, route.consents, (*conditions, *route.reasons))
    carriers = ctx.registry.bilaterals(holder, recipient)
    for carrier in carriers:
        level = row.marking_level(holder) or ""
        route = _direct(ctx, carrier, holder, level, kind="onward")
        yield Route("onward", route.hops, reasons=(*conditions, *route.reasons))


def _governing(ctx: _Context) -> tuple[Agreement, ...]:
    """The agreements whose protection binds the holder's copy (R-SURV-1: even terminated).

    An item received under an arrangement is also protected by the bilateral agreement the
    arrangement borrows its rules from (R-TISA-4): a hub's onward release through any channel
    is a third-party release under that agreement.
    """
    holder, originator = ctx.holder.code, ctx.originator.code
    if ctx.request.received_under:
        received = ctx.registry.agreement(ctx.request.received_under)
        borrowed = tuple(
            agreement
            for agreement_id in received.protection_from
            if (agreement := ctx.registry.agreements.get(agreement_id)) is not None
            and {originator, holder} <= set(agreement.parties)
        )
        return (received, *borrowed)
    return (
        *ctx.registry.bilaterals(originator, holder),
        *_hub_arrangements(ctx, originator, holder),
    )


def _protection_conditions(ctx: _Context, agreement: Agreement) -> Iterable[Reason]:
    originator, holder, recipient = ctx.originator.code, ctx.holder.code, ctx.recipient.code
    report = ctx.status(agreement)
    if report.status is Status.TERMINATED:
        yield Reason(
            "R-SURV-1",
            f"{agreement.id} has terminated, but its protection still binds {holder}'s copy",
            Effect.NOTE,
            ctx.memo.cite(agreement, "survival"),
        )
    third = recipient not in (originator, holder) and recipient not in agreement.parties
    if third and agreement.third_party_release_needs_approval:
        yield _approval_check(
            ctx,
            agreement=agreement,
            kind=ApprovalKind.RELEASE,
            subject=recipient,
            rule="R-PRO-1",
            clause="third_party",
            what=f"release to {recipient}, a third country to {agreement.id},",
        )
    purpose, before = ctx.request.purpose, ctx.request.provided_for
    if purpose and before and purpose != before and agreement.purpose_change_needs_approval:
        yield _approval_check(
            ctx,
            agreement=agreement,
            kind=ApprovalKind.PURPOSE,
            subject=purpose,
            rule="R-PRO-2",
            clause="purpose",
            what=f"use for {purpose!r} (provided for {before!r})",
        )


def _approval_check(
    ctx: _Context,
    *,
    agreement: Agreement,
    kind: ApprovalKind,
    subject: str,
    rule: str,
    clause: str,
    what: str,
) -> Reason:
    on_file, approval = ctx.approval(kind, subject)
    cite = agreement.article(clause)
    originator = ctx.originator.code
    if approval is None:
        text = f"{what} needs {originator}'s prior written approval: none on file"
        return Reason(rule, text, Effect.DENY, cite)
    recorded = approval.recorded_at.isoformat()
    if on_file:
        return Reason(
            rule, f"{what} approved in writing by {originator} at {recorded}", Effect.PERMIT, cite
        )
    if approval.revoked_at is not None and approval.revoked_at <= ctx.at:
        revoked = approval.revoked_at.isoformat()
        text = f"{what} needs {originator}'s approval; the approval was revoked at {revoked}"
    else:
        text = (
            f"{what} needs {originator}'s prior written approval; the one on file was recorded "
            f"at {recorded}, not before the release, and does not cure it"
        )
    return Reason(rule, text, Effect.DENY, cite)
