"""Loss or compromise: ``incident report|update|close|list|receive`` (R-INC-1)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.nodes import HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json

if TYPE_CHECKING:
    from pactshare.node.dossier import IncidentRecord


incident_group = typer.Typer(
    help="Loss or compromise of an item: report, update, close, list, receive (R-INC-1)."
)
app.add_typer(incident_group, name="incident")


@incident_group.command("report")
def incident_report(
    item: Annotated[str, typer.Argument(help="The item lost or possibly compromised.")],
    summary: Annotated[str, typer.Option("--summary", help="What happened, as known now.")],
    confirmed: Annotated[bool, typer.Option("--confirmed", help="Already confirmed.")] = False,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open an incident; the originator is notified at once, even on suspicion."""
    from pactshare.node.incidents import report_incident  # noqa: PLC0415 - loaded when used

    emit_document(
        report_incident(open_node(home), item, summary=summary, confirmed=confirmed),
        output,
        "incident notice",
        as_json=as_json,
    )


@incident_group.command("update")
def incident_update(
    incident: Annotated[str, typer.Argument(help="The incident id.")],
    state: Annotated[str, typer.Option("--state", help="confirmed or ruled-out.")],
    note: Annotated[str, typer.Option("--note", help="What the investigation found.")] = "",
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the investigation's finding; the originator is notified."""
    from pactshare.node.incidents import update_incident  # noqa: PLC0415 - loaded when used

    emit_document(
        update_incident(open_node(home), incident, state=state, note=note),
        output,
        "incident notice",
        as_json=as_json,
    )


@incident_group.command("close")
def incident_close(
    incident: Annotated[str, typer.Argument(help="The incident id.")],
    findings: Annotated[str, typer.Option("--findings", help="The investigation's results.")] = "",
    measures: Annotated[str, typer.Option("--measures", help="Measures against recurrence.")] = "",
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close with the close-out report (findings and measures), sent to the originator."""
    from pactshare.node.incidents import close_incident  # noqa: PLC0415 - loaded when used

    emit_document(
        close_incident(open_node(home), incident, findings=findings, measures=measures),
        output,
        "close-out report",
        as_json=as_json,
    )


def _json(record: IncidentRecord) -> dict[str, Any]:
    fields = asdict(record)
    for key in ("reported_at", "closed_at"):
        fields[key] = fields[key].isoformat() if fields[key] else None
    return {**fields, "open": record.open}


def _source(record: IncidentRecord) -> str:
    return f"received from {record.holder}" if record.received else "reported here"


@incident_group.command("list")
def incident_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Every incident: reported here, and received from the holders of items we originated."""
    from pactshare.node.incidents import list_incidents  # noqa: PLC0415 - loaded when used

    found = list_incidents(open_node(home))
    if as_json:
        print_json([_json(record) for record in found])
        return
    if not found:
        console.print("no incidents: none reported here, none received about our items")
        return
    table = Table("incident", "item", "state", "source", "reported", "summary", box=None,
                  header_style="bold")  # fmt: skip
    for r in found:
        table.add_row(r.incident_id, r.item_id, r.state, _source(r),
                      r.reported_at.isoformat(timespec="seconds"), r.summary)  # fmt: skip
    console.print(table)


@incident_group.command("receive")
def incident_receive(
    notice: Annotated[Path, typer.Argument(help="A holder's signed incident notice (JSON).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File a holder's incident notice brought by courier (about an item we originated)."""
    from pactshare.node.incidents import receive_notice_file  # noqa: PLC0415 - loaded when used

    record = receive_notice_file(open_node(home), notice)
    if as_json:
        print_json(_json(record))
        return
    console.print(
        f"incident {record.incident_id} on item {record.item_id}: {record.state}, {_source(record)}"
    )
