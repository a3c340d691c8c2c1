"""National laws covering the information's protection (R-LAW-1): ``law ask|state|receive|list``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.nodes import ActorOpt, HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.domain import normalise_party_code
from pactshare.errors import InputError

law_group = typer.Typer(
    help="National laws covering the information's protection: asked and stated (R-LAW-1)."
)
app.add_typer(law_group, name="law")

AgreementOpt = Annotated[str, typer.Option("--agreement", help="e.g. gsomia-kor-jpn-2016.")]


@law_group.command("ask")
def law_ask(
    party: Annotated[str, typer.Argument(help="The party asked, e.g. JPN.")],
    agreement: AgreementOpt,
    by: ActorOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask PARTY which of its laws in force cover the protection of what the agreement
    provides; signed and queued for it (-o: also written for a courier)."""
    from pactshare.node.laws import ask_laws  # noqa: PLC0415 - loaded when used

    party = normalise_party_code(party)
    document = ask_laws(open_node(home), party, agreement_id=agreement, by=by)
    emit_document(document, output, "law inquiry", as_json=as_json)


def _law(text: str) -> tuple[str, str]:
    title, _, reference = text.partition("|")
    if not title.strip():
        raise InputError(f"--law {text!r}: give TITLE or TITLE|REFERENCE")
    return title, reference


@law_group.command("state")
def law_state(
    law: Annotated[
        list[str], typer.Option("--law", help="TITLE or TITLE|REFERENCE of a law (repeat).")
    ],
    reply_to: Annotated[
        str | None, typer.Option("--reply-to", help="The inquiry answered (see law list).")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Unprompted: the party told.")] = None,
    agreement: Annotated[
        str | None, typer.Option("--agreement", help="Unprompted: under which agreement.")
    ] = None,
    by: ActorOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """State our laws that cover the information's protection: in reply to an inquiry, or
    unprompted to a party of an agreement; signed and queued for it."""
    from pactshare.node.laws import state_laws  # noqa: PLC0415 - loaded when used

    document = state_laws(
        open_node(home),
        [_law(text) for text in law],
        reply_to=reply_to,
        agreement_id=agreement,
        to=normalise_party_code(to) if to is not None else None,
        by=by,
    )
    emit_document(document, output, "law statement", as_json=as_json)


@law_group.command("receive")
def law_receive(
    document: Annotated[Path, typer.Argument(help="A signed law inquiry or statement (JSON).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File an inquiry or statement a courier brought, checked as if it came by the network."""
    from pactshare.node.laws import receive_law_document  # noqa: PLC0415 - loaded when used

    body = receive_law_document(open_node(home), document)
    if as_json:
        print_json(body)
        return
    console.print(f"filed {body.get('inquiry_id') or body.get('statement_id')}")


@law_group.command("list")
def law_list(
    agreement: Annotated[
        str | None, typer.Option("--agreement", help="Only this agreement's.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every inquiry (open or answered) and every statement of laws, given or received."""
    from pactshare.node.laws import list_laws  # noqa: PLC0415 - loaded when used

    inquiries, statements = list_laws(open_node(home), agreement)
    if as_json:
        print_json(
            {
                "inquiries": [asdict(i) for i in inquiries],
                "statements": [asdict(s) for s in statements],
            }
        )
        return
    table = Table("inquiry", "agreement", "asked by", "asked", "answered by", box=None)
    for i in inquiries:
        table.add_row(i.id, i.agreement_id, i.asking, i.asked, i.answered_by or "open")
    console.print(table if inquiries else "no law inquiry on this node")
    for s in statements:
        console.print(f"{s.id}: {s.party} to {s.to} under {s.agreement_id}")
        for title, reference in s.laws:  # a peer's text: printed as written, not as markup
            console.print(f"  {escape(title)}" + (f" ({escape(reference)})" if reference else ""))
