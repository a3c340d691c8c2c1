"""Loss or compromise: ``incident report|update|close`` (R-INC-1)."""

from __future__ import annotations

from typing import Annotated

import typer

from pactshare.cli.main import app
from pactshare.cli.nodes import HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import JsonOpt
from pactshare.node.incidents import close_incident, report_incident, update_incident

incident_group = typer.Typer(help="Loss or compromise of an item: report, update, close (R-INC-1).")
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
    emit_document(
        close_incident(open_node(home), incident, findings=findings, measures=measures),
        output,
        "close-out report",
        as_json=as_json,
    )
