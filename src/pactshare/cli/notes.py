"""Diplomatic notes: ``note give|receive|accept|reject|list``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.nodes import HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.domain import parse_instant

if TYPE_CHECKING:
    from pactshare.node.notes import NoteRecord


note_group = typer.Typer(help="Diplomatic notes: signed notices that add events to agreements.")
app.add_typer(note_group, name="note")


@note_group.command("give")
def note_give(
    agreement: Annotated[str, typer.Argument(help="The agreement, e.g. gsomia-kor-jpn-2016.")],
    kind: Annotated[str, typer.Option("--kind", help="notice_of_termination, notice_suspension…")],
    effective: Annotated[
        str | None, typer.Option("--effective", help="When it takes effect (default: now).")
    ] = None,
    source: Annotated[str, typer.Option("--source", help="What the note says.")] = "",
    terms: Annotated[
        Path | None,
        typer.Option(
            "--terms", help="An amendment's new terms: a TOML file with one [amendment] table."
        ),
    ] = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a note as this node's party (a notice, or the proposal of a joint event); it is
    recorded here and queued for the other parties. A proposed amendment may carry the terms
    it changes (--terms, R-AMD-1): they take effect at its instant once every party accepted."""
    from pactshare.node.notes import give_note  # noqa: PLC0415 - loaded when used
    from pactshare.scenarios import read_amendment  # noqa: PLC0415 - loaded when used

    node = open_node(home)
    when = parse_instant(effective, what="--effective") if effective else None
    change = read_amendment(terms) if terms is not None else None
    emit_document(
        give_note(node, agreement, kind, effective=when, source=source, terms=change),
        output,
        "note",
        as_json=as_json,
    )


@note_group.command("receive")
def note_receive(
    file: Annotated[
        Path, typer.Argument(help="A note, an answer to one, or an acknowledgement of ours.")
    ],
    home: HomeOpt = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the signed acknowledgement of the receipt."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record what a courier brought, checked against the pinned directory: a note (or an
    answer to one), which counts from now (-o writes the signed acknowledgement for the
    courier to take back), or another party's acknowledgement of a note we gave."""
    from pactshare.node.notes import receive_note  # noqa: PLC0415 - loaded when used

    body = receive_note(open_node(home), file, acknowledgement=output)
    if as_json:
        print_json(body)
        return
    if "received_at" in body:
        console.print(f"{body['receiver']} received {body['message_id']} at {body['received_at']}")
    elif "event" in body:
        event = body["event"]
        console.print(f"recorded {event['kind']} by {event['party']} on {body['agreement']}")
    else:
        console.print(f"recorded {body['party']}'s answer to {body['event_id']}")


@note_group.command("accept")
def note_accept(
    agreement: Annotated[str, typer.Argument(help="The agreement, e.g. gsomia-kor-jpn-2016.")],
    event_id: Annotated[str, typer.Argument(help="The proposal's event id (see note list).")],
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Accept another party's proposal (entry into force, amendment, termination…); it takes
    effect once every other party accepted it. Queued for the other parties (-o: also
    written for a courier)."""
    from pactshare.node.answers import accept_note  # noqa: PLC0415 - loaded when used
    from pactshare.node.notes import list_notes  # noqa: PLC0415 - loaded when used

    node = open_node(home)
    document = accept_note(node, agreement, event_id)
    if output is not None or as_json:
        emit_document(document, output, "acceptance", as_json=as_json)
        return
    [record] = [r for r in list_notes(node, agreement) if r.event_id == event_id]
    console.print(f"accepted {event_id} on {agreement}: {record.summary}")


@note_group.command("reject")
def note_reject(
    agreement: Annotated[str, typer.Argument(help="The agreement, e.g. gsomia-kor-jpn-2016.")],
    event_id: Annotated[str, typer.Argument(help="The note's event id (see note list).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (signed, sent to the giver).")],
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Refuse another party's proposal, or reject a note that breaks the rules (a valid notice
    cannot be rejected); the signed reason is queued for every other party (-o: also written
    for a courier)."""
    from pactshare.node.answers import reject_note  # noqa: PLC0415 - loaded when used

    document = reject_note(open_node(home), agreement, event_id, reason=reason)
    if output is not None or as_json:
        emit_document(document, output, "rejection", as_json=as_json)
        return
    console.print(f"rejected {event_id} on {agreement}: {reason}")


def note_json(record: NoteRecord) -> dict[str, object]:
    """One event as JSON: its state, who accepted or rejected it and why."""

    def instant(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "agreement": record.agreement_id,
        "event_id": record.event_id,
        "kind": record.kind,
        "party": record.party,
        "origin": record.origin,
        "at": record.at.isoformat(),
        "state": record.state,
        "summary": record.summary,
        "effective_at": instant(record.effective_at),
        "issued_at": instant(record.issued_at),
        "received_at": instant(record.received_at),
        "accepted_by": list(record.accepted_by),
        "rejected_by": dict(record.rejected_by or {}),
        "refused_on_receipt": dict(record.refused_on_receipt or {}),
        "waiting_for": list(record.waiting_for),
        "why": record.why,
    }


@note_group.command("list")
def note_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Every event of the node's agreements with its state: in effect, proposed (waiting for
    whom), rejected (by whom), or ignored (and why)."""
    from pactshare.node.notes import list_notes  # noqa: PLC0415 - loaded when used

    records = list_notes(open_node(home))
    if as_json:
        print_json([note_json(r) for r in records])
        return
    table = Table("agreement", "event", "kind", "by", "from", "at", "state", box=None)
    for r in records:
        when = r.effective_at or r.at
        state = r.summary + (f" ({r.why})" if r.why and r.state != "proposed" else "")
        table.add_row(  # why quotes peers (a rejection's reason, an amendment's labels)
            r.agreement_id, r.event_id, r.kind, r.party or "", r.origin, when.isoformat(),
            escape(state),
        )  # fmt: skip
    console.print(table)
