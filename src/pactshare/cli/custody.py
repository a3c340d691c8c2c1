"""Custody: ``reclassify`` (R-PRO-7) and ``destroy [--return]`` (R-PRO-8)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from pactshare.cli.main import app
from pactshare.cli.nodes import HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, counted, print_json
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
