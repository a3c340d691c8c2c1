"""How decisions, statuses and agreements look: JSON for machines, tables for people.

The JSON shapes are a contract (``check --json``: outcome, route[from, to, agreement,
marking], reasons[rule, text], alternatives; ``status --json``: status, terminates_at,
next_anniversary, notice_deadline); fields may be added, never renamed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from pactshare.domain import (
    Agreement,
    Band,
    Decision,
    Effect,
    Hop,
    Outcome,
    Reason,
    Route,
    StatusReport,
)

__all__ = [
    "agreement_json",
    "band_json",
    "console",
    "decision_json",
    "print_agreement",
    "print_decision",
    "print_json",
    "print_status",
    "status_json",
]

console = Console(highlight=False)

_OUTCOME_STYLE = {
    Outcome.ALLOWED: "bold green",
    Outcome.RELAY: "bold yellow",
    Outcome.REFUSED: "bold red",
}
_EFFECT_MARK = {Effect.PERMIT: "[green]✓[/]", Effect.DENY: "[red]✗[/]", Effect.NOTE: "[blue]·[/]"}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def print_json(payload: object) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2))  # noqa: T201 - machine output


def _hop(hop: Hop) -> dict[str, Any]:
    return {
        "from": hop.sender,
        "to": hop.recipient,
        "agreement": hop.agreement,
        "marking": hop.marking.text,
        "marking_detail": {
            "originator": hop.marking.originator,
            "party": hop.marking.party,
            "level": hop.marking.level,
            "name": hop.marking.name,
            "equivalent": hop.marking.equivalent,
        },
        "protected_under": hop.protected_under,
    }


def _reason(reason: Reason) -> dict[str, str]:
    return {
        "rule": reason.rule,
        "text": reason.text,
        "effect": reason.effect.value,
        "citation": reason.citation,
    }


def _route(route: Route) -> dict[str, Any]:
    return {
        "kind": route.kind,
        "summary": route.summary,
        "route": [_hop(hop) for hop in route.hops],
        "consents": [
            {"originator": c.originator, "hub": c.hub, "release_to": c.release_to,
             "rule": c.rule, "on_file": c.on_file}
            for c in route.consents
        ],
    }  # fmt: skip


def decision_json(decision: Decision) -> dict[str, Any]:
    chosen = Route("chosen", decision.route, decision.consents)
    return {
        "outcome": decision.outcome.value,
        "at": decision.at.isoformat(),
        "interpretation": decision.interpretation.profile.value,
        "route": [_hop(hop) for hop in decision.route],
        "consents": _route(chosen)["consents"],
        "reasons": [_reason(reason) for reason in decision.reasons],
        "alternatives": [_route(route) for route in decision.alternatives],
        "conflict": decision.conflict,
    }


def status_json(report: StatusReport, other: StatusReport | None = None) -> dict[str, Any]:
    """A status report; ``other`` is the same instant under the other profile (R-STATE-3)."""
    term = report.term
    payload: dict[str, Any] = {
        "agreement": report.agreement_id,
        "at": report.at.isoformat(),
        "interpretation": report.interpretation.profile.value,
        "status": report.status.value,
        "terminates_at": _iso(report.terminates_at),
        "next_anniversary": _iso(report.next_anniversary),
        "notice_deadline": _iso(report.notice_deadline),
        "earliest_termination": _iso(report.earliest_termination),
        "term": (
            {"number": term.number, "start": term.start.isoformat(), "end": term.end.isoformat()}
            if term
            else None
        ),
        "applied_events": list(report.applied_events),
        "notes": [{"rule": note.rule, "text": note.text} for note in report.notes],
        "conflict": None,
    }
    if other is not None and other.status is not report.status:
        payload["conflict"] = {
            "interpretation": other.interpretation.profile.value,
            "status": other.status.value,
            "terminates_at": _iso(other.terminates_at),
        }
    return payload


def band_json(band: Band) -> dict[str, Any]:
    return {"status": band.status.value, "start": band.start.isoformat(), "end": _iso(band.end)}


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    terms = agreement.terms
    return {
        "id": agreement.id,
        "title": agreement.title,
        "kind": agreement.kind.value,
        "parties": list(agreement.parties),
        "hub": agreement.hub,
        "binding": agreement.binding,
        "scope": list(agreement.scope),
        "terms": {
            "timezone": terms.timezone,
            "term_years": terms.term_years,
            "auto_renew": terms.auto_renew,
            "notice_days": terms.notice_days,
        },
        "third_party_release_needs_approval": agreement.third_party_release_needs_approval,
        "purpose_change_needs_approval": agreement.purpose_change_needs_approval,
        "relay_needs_originator_consent": agreement.relay_needs_originator_consent,
        "protection_from": list(agreement.protection_from),
        "classification_cap": agreement.classification_cap,
        "articles": dict(agreement.articles),
        "equivalence": [
            {"label": row.label, "levels": {p: list(ids) for p, ids in row.levels.items()}}
            for row in agreement.equivalence
        ],
        "events": [
            {"id": e.id, "kind": e.kind.value, "party": e.party, "at": e.at.isoformat(),
             "source": e.source}
            for e in agreement.events
        ],
    }  # fmt: skip


def print_decision(decision: Decision) -> None:
    style = _OUTCOME_STYLE[decision.outcome]
    console.print(f"[{style}]{decision.outcome.value.upper()}[/] at {decision.at.isoformat()}")
    for hop in decision.route:
        under = f" (protected under {hop.protected_under})" if hop.protected_under else ""
        console.print(
            f"  {hop.sender} → {hop.recipient} under {hop.agreement}{under}; "
            f"marked [bold]{hop.marking.text}[/]"
        )
    for consent in decision.consents:
        state = "on file" if consent.on_file else "needed"
        console.print(
            f"  consent ({consent.rule}): {consent.originator} approves {consent.hub}'s "
            f"release to {consent.release_to}: {state}"
        )
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("")
    table.add_column("rule")
    table.add_column("reason")
    table.add_column("cites", style="dim")
    for reason in decision.reasons:
        table.add_row(_EFFECT_MARK[reason.effect], reason.rule, reason.text, reason.citation)
    console.print(table)
    for route in decision.alternatives:
        console.print(f"  alternative: {route.summary}")
    if decision.conflict:
        console.print(
            "[bold magenta]legal-status conflict: the interpretations disagree (R-STATE-3)[/]"
        )


def print_status(report: StatusReport, other: StatusReport | None) -> None:
    console.print(
        f"[bold]{report.agreement_id}[/] at {report.at.isoformat()} "
        f"({report.interpretation.profile.value}): [bold]{report.status.value}[/]"
    )
    term = report.term
    deadline = report.notice_deadline
    rows = [
        (
            "term",
            f"{term.number} ({term.start.isoformat()} → {term.end.isoformat()})" if term else None,
        ),
        ("terminates at", _iso(report.terminates_at)),
        ("next anniversary", _iso(report.next_anniversary)),
        ("notice deadline", f"received before {deadline.isoformat()}" if deadline else None),
        ("a notice now ends it at", _iso(report.earliest_termination)),
    ]
    for label, value in rows:
        if value:
            console.print(f"  {label}: {value}")
    for note in report.notes:
        console.print(f"  [blue]·[/] {note.rule}: {note.text}")
    if other is not None and other.status is not report.status:
        console.print(
            f"[bold magenta]legal-status conflict (R-STATE-3):[/] under "
            f"{other.interpretation.profile.value} it is {other.status.value}"
        )


def print_agreement(agreement: Agreement) -> None:
    terms = agreement.terms
    console.print(f"[bold]{agreement.id}[/] — {agreement.title}")
    hub = f", hub {agreement.hub}" if agreement.hub else ""
    binding = "binding" if agreement.binding else "not legally binding"
    console.print(f"  {agreement.kind.value}: {', '.join(agreement.parties)}{hub}; {binding}")
    console.print(f"  scope: {', '.join(agreement.scope)}")
    if terms.term_years:
        renew = "renews automatically" if terms.auto_renew else "does not renew"
        console.print(
            f"  term: {terms.term_years} year(s), {renew}, notice {terms.notice_days} days "
            f"({terms.timezone})"
        )
    else:
        console.print(f"  term: until terminated ({terms.timezone})")
    if agreement.classification_cap:
        console.print(f"  local policy cap: {agreement.classification_cap} (not a treaty rule)")
    table = Table("equivalent", *agreement.parties, box=None, header_style="bold")
    for row in agreement.equivalence:
        table.add_row(row.label, *(", ".join(row.levels.get(p, ())) for p in agreement.parties))
    console.print(table)
    for event in agreement.events:
        party = f" by {event.party}" if event.party else ""
        console.print(f"  {event.at.isoformat()}  {event.kind.value}{party}  [dim]{event.id}[/]")
