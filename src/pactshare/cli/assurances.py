"""Assurances before hand-over (R-ACC-4, Art. 7(5); AT-16):
``assurance give|withdraw|receive|list``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.nodes import ActorOpt, HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.domain import normalise_party_code, parse_instant

assurance_group = typer.Typer(
    help="Assurances a receiving party gives before a hand-over (R-ACC-4, Art. 7(5))."
)
app.add_typer(assurance_group, name="assurance")


@assurance_group.command("give")
def assurance_give(
    to: Annotated[str, typer.Option("--to", help="The party that will provide, e.g. KOR.")],
    agreement: Annotated[str, typer.Option("--agreement", help="e.g. gsomia-kor-jpn-2016.")],
    authority: Annotated[
        str, typer.Option("--authority", help="Our competent authority giving it (R-DEF-3).")
    ],
    recipient: Annotated[
        str, typer.Option("--recipient", help="(a) The representative who receives it.")
    ],
    level: Annotated[
        str, typer.Option("--level", help="(a) Our highest level the recipient is cleared for.")
    ],
    topic: Annotated[
        list[str], typer.Option("--topic", help="(b) A topic needed officially (repeat).")
    ],
    purpose: Annotated[str, typer.Option("--purpose", help="(b) The official purpose.")],
    until: Annotated[
        str | None, typer.Option("--until", help="Instant it ends (exclusive).")
    ] = None,
    days: Annotated[
        int | None, typer.Option("--days", help="Or: valid this many days (1 to 36500).")
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option("--from", help="Instant it starts (default: now).")
    ] = None,
    by: ActorOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Assure the party that will provide, as this node's party (the receiving one), of
    (a) the recipient's clearance, (b) its official need and (c) equivalent protection:
    checked, recorded, and queued for that party, whose node hands over only within it."""
    from pactshare.node.assurances import give_assurance  # noqa: PLC0415 - loaded when used

    document = give_assurance(
        open_node(home),
        to=normalise_party_code(to),
        agreement_id=agreement,
        authority=authority,
        recipient=recipient,
        level=level,
        topics=topic,
        purpose=purpose,
        until=parse_instant(until, what="--until") if until else None,
        days=days,
        valid_from=parse_instant(valid_from, what="--from") if valid_from else None,
        by=by,
    )
    emit_document(document, output, "assurance", as_json=as_json)


@assurance_group.command("withdraw")
def assurance_withdraw(
    assurance: Annotated[str, typer.Argument(help="The assurance's id (see assurance list).")],
    by: ActorOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Withdraw an assurance this party gave; queued for the party it assured."""
    from pactshare.node.assurances import withdraw_assurance  # noqa: PLC0415 - loaded when used

    document = withdraw_assurance(open_node(home), assurance, by=by)
    emit_document(document, output, "assurance withdrawal", as_json=as_json)


@assurance_group.command("receive")
def assurance_receive(
    file: Annotated[Path, typer.Argument(help="A signed assurance or withdrawal (courier).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File an assurance to this party, or its withdrawal, that a courier brought; checked
    again as if it came over the network, and counted from now."""
    from pactshare.node.assurances import receive_assurance  # noqa: PLC0415 - loaded when used

    body = receive_assurance(open_node(home), file)
    if as_json:
        print_json(body)
    else:
        console.print(f"assurance {body['assurance_id']} from {body['receiving']} recorded")


@assurance_group.command("list")
def assurance_list(
    agreement: Annotated[
        str | None, typer.Option("--agreement", help="Only those under this agreement.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every assurance given or received, with its state now (in effect, expired…)."""
    from pactshare.node.assurances import list_assurances  # noqa: PLC0415 - loaded when used

    records = list_assurances(open_node(home), agreement)
    if as_json:
        print_json([r.to_dict() for r in records])
        return
    if not records:
        console.print("no assurance on this node")
        return
    columns = ("assurance", "from", "to", "recipient", "level", "topics", "until", "state")
    table = Table(*columns, box=None)
    for r in records:
        a = r.assurance
        table.add_row(  # the recipient and level are a peer's words: printed as written
            a.id,
            a.receiving,
            a.originating,
            escape(a.recipient),
            escape(a.level),
            ", ".join(a.topics),
            a.valid_until.isoformat(),
            r.state,
        )
    console.print(table)
