"""Diplomatic notes: ``note give|receive``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pactshare.cli.main import app
from pactshare.cli.nodes import HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.domain import parse_instant
from pactshare.node.notes import give_note, receive_note

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
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a note as this node's party; it is recorded here and queued for the other parties."""
    node = open_node(home)
    when = parse_instant(effective, what="--effective") if effective else None
    emit_document(
        give_note(node, agreement, kind, effective=when, source=source),
        output,
        "note",
        as_json=as_json,
    )


@note_group.command("receive")
def note_receive(
    file: Annotated[Path, typer.Argument(help="A note another party gave.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a note received from another party (checked against the pinned directory)."""
    body = receive_note(open_node(home), file)
    if as_json:
        print_json(body)
        return
    event = body["event"]
    console.print(f"recorded {event['kind']} by {event['party']} on {body['agreement']}")
