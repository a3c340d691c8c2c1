"""Visits between parties (R-VIS-1, R-SEC-1): ``visit request|approve|refuse|receive|list``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.nodes import ActorOpt, HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.domain import normalise_party_code, parse_instant

visit_group = typer.Typer(
    help="Visits: requests between competent authorities, approved by the host (R-VIS-1)."
)
app.add_typer(visit_group, name="visit")


@visit_group.command("request")
def visit_request(
    host: Annotated[str, typer.Argument(help="The host party, e.g. JPN.")],
    agreement: Annotated[str, typer.Option("--agreement", help="e.g. gsomia-kor-jpn-2016.")],
    from_authority: Annotated[
        str, typer.Option("--from-authority", help="Our competent authority (R-DEF-3).")
    ],
    to_authority: Annotated[
        str, typer.Option("--to-authority", help="The host's competent authority (R-DEF-3).")
    ],
    purpose: Annotated[str, typer.Option("--purpose", help="The official purpose.")],
    facility: Annotated[str, typer.Option("--facility", help="The host's facility id.")],
    starts: Annotated[str, typer.Option("--starts", help="First instant of the visit.")],
    ends: Annotated[str, typer.Option("--ends", help="Instant the visit ends (exclusive).")],
    topic: Annotated[list[str], typer.Option("--topic", help="A topic (repeat).")],
    visitor: Annotated[
        list[str] | None, typer.Option("--visitor", help="A visitor (repeat).")
    ] = None,
    highest_level: Annotated[
        str | None,
        typer.Option("--highest-level", help="The host's highest level the visitor may see."),
    ] = None,
    security: Annotated[
        bool,
        typer.Option("--security-representatives", help="An R-SEC-1 visit (no CMI access)."),
    ] = False,
    by: ActorOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Request a visit to HOST from our competent authority to the host's; checked against
    every rule, recorded, and queued for the host (-o: also written for a courier)."""
    from pactshare.domain.visits import VisitKind  # noqa: PLC0415 - loaded when used
    from pactshare.node.visits import request_visit  # noqa: PLC0415 - loaded when used

    document = request_visit(
        open_node(home),
        agreement_id=agreement,
        host=normalise_party_code(host),
        from_authority=from_authority,
        to_authority=to_authority,
        purpose=purpose,
        facility=facility,
        starts=parse_instant(starts, what="--starts"),
        ends=parse_instant(ends, what="--ends"),
        topics=topic,
        highest_level=highest_level,
        visitors=visitor or [],
        kind=VisitKind.SECURITY_REPRESENTATIVE if security else VisitKind.CMI_ACCESS,
        by=by,
    )
    emit_document(document, output, "visit request", as_json=as_json)


@visit_group.command("approve")
def visit_approve(
    visit_id: Annotated[str, typer.Argument(help="The visit's id (see visit list).")],
    by: ActorOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve a visit as this node's party: the host alone for R-VIS-1 (it then tells the
    facility), each party for R-SEC-1; queued for the other party."""
    from pactshare.node.visits import answer_visit  # noqa: PLC0415 - loaded when used

    document = answer_visit(open_node(home), visit_id, approve=True, by=by)
    emit_document(document, output, "visit approval", as_json=as_json)


@visit_group.command("refuse")
def visit_refuse(
    visit_id: Annotated[str, typer.Argument(help="The visit's id (see visit list).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (signed, sent to the other).")],
    by: ActorOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Refuse a visit with a signed reason; queued for the other party."""
    from pactshare.node.visits import answer_visit  # noqa: PLC0415 - loaded when used

    document = answer_visit(open_node(home), visit_id, approve=False, reason=reason, by=by)
    emit_document(document, output, "visit refusal", as_json=as_json)


@visit_group.command("receive")
def visit_receive(
    document: Annotated[Path, typer.Argument(help="A signed visit request or answer (JSON).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File a visit request or answer a courier brought (written with -o), checked as if it
    had come over the network."""
    from pactshare.node.visits import receive_visit_document  # noqa: PLC0415 - loaded when used

    body = receive_visit_document(open_node(home), document)
    if as_json:
        print_json(body)
        return
    what = "request" if "visiting" in body else ("approval" if body["approved"] else "refusal")
    console.print(f"visit {body['visit_id']}: {what} filed")


@visit_group.command("list")
def visit_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Every visit requested or received, with its state (requested, approved, refused)."""
    from pactshare.node.visits import list_visits  # noqa: PLC0415 - loaded when used

    records = list_visits(open_node(home))
    if as_json:
        print_json([r.to_dict() for r in records])
        return
    if not records:
        console.print("no visit on this node")
        return
    table = Table("visit", "rule", "from", "to", "facility", "dates", "level", "state", box=None)
    for r in records:
        state = r.state + (f" (waiting for {', '.join(r.waiting_for)})" if r.waiting_for else "")
        dates = f"{r.starts.isoformat()} – {r.ends.isoformat()}"
        table.add_row(
            r.id, r.rule, r.visiting, r.host, r.facility, dates, r.highest_level or "-", state
        )
    console.print(table)
