"""How decisions, statuses and agreements look to people (tables), and JSON printing.

Text that a peer may have written (an equivalence row's label, from an amendment in its note,
R-AMD-1; reasons and markings quote it) is printed as written, never read as console markup.

The JSON shapes themselves live in :mod:`pactshare.domain.wire`.
"""

from __future__ import annotations

import json
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pactshare.domain import Agreement, Decision, Effect, Outcome, StatusReport
from pactshare.domain.wire import iso

__all__ = [
    "console",
    "counted",
    "print_agreement",
    "print_decision",
    "print_json",
    "print_status",
    "to_the_second",
]

console = Console(highlight=False)

_OUTCOME_STYLE = {
    Outcome.ALLOWED: "bold green",
    Outcome.RELAY: "bold yellow",
    Outcome.REFUSED: "bold red",
}
_EFFECT_MARK = {Effect.PERMIT: "[green]✓[/]", Effect.DENY: "[red]✗[/]", Effect.NOTE: "[blue]·[/]"}


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 entry``, ``2 entries``: a count with its noun in agreement."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def to_the_second(at: datetime) -> str:
    """An instant as people read it: ISO 8601 with its offset, to the second."""
    return at.replace(microsecond=0).isoformat()


def _instant(value: object) -> str:
    """An instant in JSON output: ISO 8601 with its offset."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON output")


def print_json(payload: object) -> None:
    """Machine output: the payload as JSON, instants in ISO 8601."""
    print(json.dumps(payload, ensure_ascii=False, indent=2, default=_instant))  # noqa: T201


def print_decision(decision: Decision) -> None:
    style = _OUTCOME_STYLE[decision.outcome]
    console.print(f"[{style}]{decision.outcome.value.upper()}[/] at {to_the_second(decision.at)}")
    for hop in decision.route:
        under = f" (protected under {hop.protected_under})" if hop.protected_under else ""
        console.print(
            f"  {hop.sender} → {hop.recipient} under {hop.agreement}{under}; "
            f"marked [bold]{escape(hop.marking.text)}[/]"
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
        table.add_row(
            _EFFECT_MARK[reason.effect], reason.rule, escape(reason.text), reason.citation
        )
    console.print(table)
    for route in decision.alternatives:
        console.print(f"  alternative: {escape(route.summary)}")
    if decision.conflict:
        console.print(
            "[bold magenta]legal-status conflict: the interpretations disagree (R-STATE-3)[/]"
        )


def print_status(report: StatusReport, other: StatusReport | None) -> None:
    console.print(
        f"[bold]{report.agreement_id}[/] at {to_the_second(report.at)} "
        f"({report.interpretation.profile.value}): [bold]{report.status.value}[/]"
    )
    term = report.term
    deadline = report.notice_deadline
    rows = [
        (
            "term",
            f"{term.number} ({term.start.isoformat()} → {term.end.isoformat()})" if term else None,
        ),
        ("terminates at", iso(report.terminates_at)),
        ("next anniversary", iso(report.next_anniversary)),
        ("notice deadline", f"received before {deadline.isoformat()}" if deadline else None),
        ("a notice now ends it at", iso(report.earliest_termination)),
    ]
    for label, value in rows:
        if value:
            console.print(f"  {label}: {value}")
    for note in report.notes:
        console.print(f"  [blue]·[/] {note.rule}: {escape(note.text)}")
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
        days = terms.notice_days
        notice = "no notice period" if days is None else f"notice {counted(days, 'day')}"
        console.print(
            f"  term: {counted(terms.term_years, 'year')}, {renew}, {notice} ({terms.timezone})"
        )
    else:
        console.print(f"  term: until terminated ({terms.timezone})")
    if agreement.classification_cap:
        cap = escape(agreement.classification_cap)
        console.print(f"  local policy cap: {cap} (not a treaty rule)")
    table = Table("equivalent", *agreement.parties, box=None, header_style="bold")
    for row in agreement.equivalence:
        table.add_row(
            escape(row.label), *(", ".join(row.levels.get(p, ())) for p in agreement.parties)
        )
    console.print(table)
    for event in agreement.events:
        party = f" by {event.party}" if event.party else ""
        console.print(f"  {event.at.isoformat()}  {event.kind.value}{party}  [dim]{event.id}[/]")
    for version in agreement.versions()[1:]:  # the terms above are as signed (R-AMD-1)
        amended, since = version.agreement, version.since.isoformat() if version.since else ""
        rows = escape(", ".join(row.label for row in amended.equivalence))
        console.print(
            f"  terms from {since} ([dim]{version.event}[/]): scope {', '.join(amended.scope)}; "
            f"term {amended.terms.term_years or 'until terminated'}; notice "
            f"{amended.terms.notice_days}; cap {escape(amended.classification_cap or 'none')}; "
            f"rows {rows}"
        )
