"""Custody: ``reclassify`` (R-PRO-7), ``destroy [--return]`` (R-PRO-8), ``locate`` (where a
holding is kept and its custodian) and ``inventory`` (R-PRO-6, R-STO-1, R-FAC-1)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from pactshare.cli.main import app
from pactshare.cli.nodes import ActorOpt, HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import AtOpt, JsonOpt
from pactshare.cli.render import console, counted, print_json
from pactshare.domain import parse_instant
from pactshare.errors import InputError


@app.command("reclassify")
def reclassify_command(
    item: Annotated[str | None, typer.Argument(help="As the originator: the item id.")] = None,
    level: Annotated[
        str | None, typer.Option("--level", help="Its new level (originator).")
    ] = None,
    notice: Annotated[
        Path | None, typer.Option("--notice", help="As a holder: the originator's notice.")
    ] = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reclassify an item (originator), or apply the originator's written notice (holder)."""
    from pactshare.node.custody import apply_reclassification, reclassify  # noqa: PLC0415 - loaded when used

    node = open_node(home)
    if notice is not None:
        result = apply_reclassification(node, notice)
        if as_json:
            print_json(asdict(result))
            return
        console.print(f"{result.item_id} now marked {result.marking}")
        if result.copies_remarked:
            made = result.copies_remarked
            copies = counted(made, "copy or translation", "copies and translations")
            console.print(f"{copies} re-marked with it")
        console.print(f"{counted(result.derived_flagged, 'derived item')} flagged for re-marking")
        return
    if item is None or level is None:
        raise InputError(
            "reclassify: give ITEM --level LEVEL (originator) or --notice FILE (holder)"
        )
    emit_document(reclassify(node, item, level), output, "reclassification notice", as_json=as_json)


@app.command("destroy")
def destroy_command(
    item: Annotated[str, typer.Argument(help="The item id.")],
    returned: Annotated[
        bool, typer.Option("--return", help="Returned to the originator rather than destroyed.")
    ] = False,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """At the end of need, destroy (or return) a holding; signs a certificate (R-PRO-8)."""
    from pactshare.node.custody import dispose  # noqa: PLC0415 - loaded when used

    emit_document(
        dispose(open_node(home), item, returned=returned), output, "certificate", as_json=as_json
    )


@app.command("locate")
def locate_command(
    item: Annotated[str, typer.Argument(help="The item id.")],
    facility: Annotated[str, typer.Option("--facility", help="Where it is kept.")],
    container: Annotated[str, typer.Option("--container", help="In what (safe, vault...).")],
    custodian: Annotated[
        str, typer.Option("--custodian", help="The person answering for it (cleared for it).")
    ],
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record where a holding is kept and its custodian (R-PRO-6, R-STO-1; audited)."""
    from pactshare.node.inventory import locate  # noqa: PLC0415 - loaded when used

    place = locate(
        open_node(home), item, facility=facility, container=container, custodian=custodian, by=by
    )
    if as_json:
        print_json({**asdict(place), "at": place.at.isoformat()})
        return
    console.print(f"{item}: {place.facility}, {place.container}; custodian {place.custodian}")


@app.command("inventory")
def inventory_command(
    at: AtOpt = None,
    by: ActorOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take the periodic inventory (R-PRO-6): every holding with its location and custodian,
    differences from the last one flagged; signed, and recorded in the audit log."""
    from pactshare.node.inventory import take_inventory  # noqa: PLC0415 - loaded when used

    when = parse_instant(at, what="--at") if at else None
    taken = take_inventory(open_node(home), at=when, by=by)
    if as_json or output is not None:
        emit_document(taken.document, output, "inventory", as_json=as_json)
        return
    console.print(f"inventory at {taken.at.isoformat()}: {counted(len(taken.lines), 'holding')}")
    for line in taken.lines:
        where = (
            f"{line['facility']}, {line['container']}; custodian {line['custodian']}"
            if line["facility"]
            else "not placed"
        )
        console.print(f"  {line['item_id'][:16]}  {line['marking']}  {where}")
    since = f" since {taken.previous_at}" if taken.previous_at else ""
    console.print(f"{counted(len(taken.differences), 'difference')}{since}")
    for difference in taken.differences:
        console.print(f"  ! {difference['item_id'][:16]}  {difference['difference']}")
