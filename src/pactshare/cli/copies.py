"""Copies and translations: ``copy ITEM --as NAME`` (R-REP-1) and ``translate ITEM --language
L --file F --as NAME`` (R-TRA-1)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pactshare.cli.main import app
from pactshare.cli.nodes import HomeOpt, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json

if TYPE_CHECKING:
    from pactshare.node.copies import Derived

MakerOpt = Annotated[
    str,
    typer.Option(
        "--as", "--person", help="The cleared person making it (checked as 'open' checks)."
    ),
]


def _show(derived: Derived, *, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "item_id": derived.item_id,
                "derived_from": derived.original,
                "derivation": derived.kind,
                "number": derived.number,
                "copy_limit": derived.copy_limit,
                "language": derived.language,
                "marking": derived.marking,
                "made_by": derived.made_by,
                "made_at": derived.made_at.isoformat(),
                "label": derived.label,
            }
        )
        return
    console.print(
        f"{derived.kind} {derived.number} of {derived.copy_limit} of {derived.original}: "
        f"{derived.item_id}, marked {derived.marking}",
        markup=False,
    )
    if derived.language is not None:
        console.print(f"note ({derived.language}): {derived.label['note']}", markup=False)


@app.command("copy")
def copy_command(
    item: Annotated[str, typer.Argument(help="The held item to copy.")],
    person: MakerOpt,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a copy of a held item: a derived item under the holder's signed label, with all
    the original's markings, counted against the originator's copy_limit (R-REP-1)."""
    from pactshare.node.copies import copy_item  # noqa: PLC0415 - loaded when used

    _show(copy_item(open_node(home), item, person_name=person), as_json=as_json)


@app.command("translate")
def translate_command(
    item: Annotated[str, typer.Argument(help="The held item translated.")],
    language: Annotated[str, typer.Option("--language", help="Its language: en, ja or ko.")],
    file: Annotated[Path, typer.Option("--file", help="The translation (UTF-8 text).")],
    person: MakerOpt,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a translation of a held item: a derived item with the original's markings and a
    note in its language that it holds the originating party's information (R-TRA-1)."""
    from pactshare.node.copies import translate_item  # noqa: PLC0415 - loaded when used

    derived = translate_item(
        open_node(home), item, person_name=person, language=language, text=file
    )
    _show(derived, as_json=as_json)
