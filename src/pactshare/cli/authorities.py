"""Competent authorities (R-DEF-3): ``authority notify|list``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.nodes import ActorOpt, HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.domain import parse_instant

authority_group = typer.Typer(
    help="Competent authorities: each party's, from its file and its notices (R-DEF-3)."
)
app.add_typer(authority_group, name="authority")


@authority_group.command("notify")
def authority_notify(
    authority: Annotated[str, typer.Argument(help="The authority's id, e.g. jpn-mod.")],
    name: Annotated[str, typer.Option("--name", help="Its name (to designate it).")] = "",
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="Withdraw its designation instead.")
    ] = False,
    effective: Annotated[
        str | None, typer.Option("--effective", help="From when (default: now).")
    ] = None,
    by: ActorOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Designate one of this party's competent authorities, or withdraw one, by a signed notice
    recorded here and queued for every partner party."""
    from pactshare.node.authorities import notify_authority  # noqa: PLC0415 - loaded when used

    when = parse_instant(effective, what="--effective") if effective else None
    document = notify_authority(
        open_node(home), authority, name=name, withdraw=withdraw, effective=when, by=by
    )
    emit_document(document, output, "authority notice", as_json=as_json)


@authority_group.command("list")
def authority_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Every party's competent authorities with their effective dates."""
    from pactshare.node.authorities import list_authorities  # noqa: PLC0415 - loaded when used

    records = list_authorities(open_node(home))
    if as_json:
        print_json(
            [
                {
                    "party": r.party,
                    "id": r.id,
                    "name": r.name,
                    "effective_from": r.effective_from.isoformat(),
                    "effective_until": r.effective_until.isoformat() if r.effective_until else None,
                    "origin": r.origin,
                }
                for r in records
            ]
        )
        return
    table = Table("party", "authority", "name", "from", "until", "by", box=None)
    for r in records:
        until = r.effective_until.isoformat() if r.effective_until else "-"
        table.add_row(r.party, r.id, r.name, r.effective_from.isoformat(), until, r.origin)
    console.print(table)
