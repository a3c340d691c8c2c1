"""``pactshare agreement list|show|status|timeline``: agreements and their derived status;
``pactshare agreement cap``: the node's local classification cap (AT-26)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.nodes import (
    ActorOpt,
    HomeOpt,
    ViewHomeOpt,
    open_node,
    registry_view,
    view_instant,
)
from pactshare.cli.options import (
    AddEventOpt,
    AgreementsOpt,
    AtOpt,
    DropEventOpt,
    InterpretationOpt,
    JsonOpt,
    LateNoticeOpt,
    interpretation,
    what_if,
)
from pactshare.cli.render import (
    console,
    print_agreement,
    print_json,
    print_status,
    to_the_second,
)
from pactshare.domain import bands, status_at
from pactshare.domain.wire import agreement_json, band_json, status_json

group = typer.Typer(help="Agreements: their terms, events and status at any instant.")
app.add_typer(group, name="agreement")

IdArg = Annotated[str, typer.Argument(help="Agreement id, e.g. gsomia-kor-jpn-2016.")]


@group.command("list")
def list_agreements(
    at: AtOpt = None,
    agreements: AgreementsOpt = None,
    as_json: JsonOpt = False,
    profile: InterpretationOpt = "treaty-text",
    late_notice: LateNoticeOpt = "roll-over",
    home: ViewHomeOpt = None,
) -> None:
    """List the agreements with their status at an instant (default: now)."""
    registry = registry_view(home, agreements)
    when, reading = view_instant(at, home), interpretation(profile, late_notice)
    reports = [(a, status_at(a, when, reading)) for a in registry.agreements.values()]
    if as_json:
        print_json(
            [
                {"id": a.id, "title": a.title, "kind": a.kind.value, "parties": list(a.parties),
                 "status": r.status.value}
                for a, r in reports
            ]
        )  # fmt: skip
        return
    table = Table("agreement", "status", "parties", "title", box=None, header_style="bold")
    for agreement, report in reports:
        table.add_row(
            agreement.id, report.status.value, "/".join(agreement.parties), agreement.title
        )
    console.print(f"at {to_the_second(when)} ({reading.profile.value})")
    console.print(table)


@group.command("show")
def show(
    agreement_id: IdArg,
    agreements: AgreementsOpt = None,
    home: ViewHomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an agreement: parties, scope, terms, equivalence table and events."""
    agreement = registry_view(home, agreements).agreement(agreement_id)
    if as_json:
        print_json(agreement_json(agreement))
    else:
        print_agreement(agreement)


@group.command("status")
def status(
    agreement_id: IdArg,
    at: AtOpt = None,
    profile: InterpretationOpt = "treaty-text",
    late_notice: LateNoticeOpt = "roll-over",
    drop_event: DropEventOpt = None,
    add_event: AddEventOpt = None,
    agreements: AgreementsOpt = None,
    home: ViewHomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The agreement's status at an instant, with its next anniversary and notice deadline."""
    reading = interpretation(profile, late_notice)
    registry = what_if(
        registry_view(home, agreements),
        drop_events=drop_event,
        add_events=add_event,
        default_target=agreement_id,
    )
    agreement = registry.agreement(agreement_id)
    when = view_instant(at, home)
    report = status_at(agreement, when, reading)
    other = status_at(agreement, when, reading.other_profile())
    if as_json:
        print_json(status_json(report, other))
    else:
        print_status(report, other)


@group.command("timeline")
def timeline(
    agreement_id: IdArg,
    profile: InterpretationOpt = "treaty-text",
    late_notice: LateNoticeOpt = "roll-over",
    drop_event: DropEventOpt = None,
    add_event: AddEventOpt = None,
    agreements: AgreementsOpt = None,
    home: ViewHomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The agreement's events and the status bands they produce."""
    reading = interpretation(profile, late_notice)
    registry = what_if(
        registry_view(home, agreements),
        drop_events=drop_event,
        add_events=add_event,
        default_target=agreement_id,
    )
    agreement = registry.agreement(agreement_id)
    life = bands(agreement, reading)
    if as_json:
        print_json(
            {
                "agreement": agreement.id,
                "interpretation": reading.profile.value,
                "events": agreement_json(agreement)["events"],
                "bands": [band_json(band) for band in life],
            }
        )
        return
    console.print(f"[bold]{agreement.id}[/] ({reading.profile.value})")
    for event in agreement.events:
        party = f" by {event.party}" if event.party else ""
        console.print(f"  {event.at.isoformat()}  {event.kind.value}{party}  [dim]{event.id}[/]")
    console.print("[bold]status bands[/]")
    for band in life:
        end = band.end.isoformat() if band.end else "…"
        console.print(f"  {band.start.isoformat()} → {end}  {band.status.value}")


@group.command("cap")
def cap(
    agreement_id: IdArg,
    level: Annotated[
        str,
        typer.Argument(
            help='The label of an equivalence row, e.g. "TOP SECRET", or none to remove the cap.'
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (required; kept in the audit log).")],
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the node's local classification cap on an agreement (not a treaty rule, AT-26):
    relays above it are refused. An audited act of an admin or security officer."""
    from pactshare.node.local_policy import NO_CAP, set_cap  # noqa: PLC0415 - loaded when used

    change = set_cap(open_node(home), agreement_id, level, reason=reason, by=by)
    if as_json:
        print_json(
            {
                "agreement": change.agreement,
                "previous": change.previous,
                "classification_cap": change.cap,
                "reason": change.reason,
                "set_by": change.set_by,
                "at": change.at.isoformat(),
            }
        )
        return
    console.print(
        f"{change.agreement}: local policy cap {change.previous or NO_CAP} -> "
        f"{change.cap or NO_CAP} (not a treaty rule), set by {change.set_by}; audited"
    )
