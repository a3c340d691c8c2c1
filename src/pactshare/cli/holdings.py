"""Holdings: ``register``, ``provide``, ``receive``, ``inbox``, and ``open ITEM --as NAME``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.nodes import LARGE, HomeOpt, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json


@app.command("register")
def register_command(
    file: Annotated[Path, typer.Argument(help="The item to register.")],
    label: Annotated[Path, typer.Option("--label", help="Its security label (TOML).")],
    derived_from: Annotated[
        str | None,
        typer.Option("--derived-from", help="An item it contains (re-marked with it, R-MARK-2)."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Seal an item under its label on the originator's node; prints the item id."""
    from pactshare.node.items import register  # noqa: PLC0415 - loaded when used

    node = open_node(home)
    size = file.stat().st_size if file.is_file() else 0
    if size < LARGE:
        item_id = register(node, file, label, derived_from=derived_from)
    else:
        with Progress(transient=True, console=Console(stderr=True)) as bar:
            task = bar.add_task(f"sealing {file.name}", total=size)
            item_id = register(
                node,
                file,
                label,
                derived_from=derived_from,
                progress=lambda n: bar.advance(task, n),
            )
    if as_json:
        print_json({"item_id": item_id})
    else:
        print(item_id)  # noqa: T201 - the id alone, for scripts


@app.command("provide")
def provide_command(
    item: Annotated[str, typer.Argument(help="The item id.")],
    to: Annotated[str, typer.Option("--to", help="The recipient party.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write a transfer package for hand carriage."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide now and provide the item: a package with -o, otherwise queued for the network."""
    from pactshare.node.provision import provide  # noqa: PLC0415 - loaded when used

    result = provide(open_node(home), item, to, package=output)
    if as_json:
        print_json(
            {
                "provision": result.provision_id,
                "package": str(output) if output else None,
                "decision": result.decision,
            }
        )
        return
    hops = result.decision["route"]
    route = " → ".join([hops[0]["from"], *(hop["to"] for hop in hops)])
    console.print(f"{result.decision['outcome']}: {route}; marked {hops[-1]['marking']}")
    console.print(f"package written to {output}" if output else "queued in the outbox")


@app.command("receive")
def receive_command(
    package: Annotated[Path, typer.Argument(help="A transfer package.")],
    receipt_out: Annotated[
        Path | None, typer.Option("--receipt", help="Where to write the signed receipt.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify, re-decide, mark and store a package; write the signed receipt.

    A package received before changes nothing: its first receipt is written again.
    """
    from pactshare.node.documents import write_document  # noqa: PLC0415 - loaded when used
    from pactshare.node.reception import (  # noqa: PLC0415 - loaded when used
        ALREADY_RECEIVED,
        ANOTHER_HOP,
        RECEIVED_AGAIN,
        receive_package,
    )

    reception = receive_package(open_node(home), package)
    target = receipt_out or package.with_name(package.name + ".receipt.json")
    write_document(target, reception.receipt)
    body = reception.receipt["body"]
    if as_json:
        print_json({"receipt": str(target), "custody": reception.custody, **body})
        return
    item, sender, marking = body["item_id"], body["sender"], body["marking"]
    if reception.custody == ALREADY_RECEIVED:
        console.print(
            f"already received: package {body['package_id']} (item {item} from {sender})"
            f" was received at {body['received_at']}; nothing changed"
        )
    elif reception.custody == ANOTHER_HOP:
        console.print(
            f"{item} is already held here; this arrival from {sender} is recorded as"
            f" another custody hop, marked {marking}"
        )
    elif reception.custody == RECEIVED_AGAIN:
        console.print(f"received {item} from {sender} again after its disposal, marked {marking}")
    else:
        console.print(f"received {item} from {sender}, marked {marking}")
    console.print(f"signed receipt written to {target}")


@app.command("inbox")
def inbox_command(
    home: HomeOpt = None,
    all_items: Annotated[bool, typer.Option("--all", help="Own registered items too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Items this node holds that other parties provided (with --all, its own too)."""
    from pactshare.node.holdings import inbox  # noqa: PLC0415 - loaded when used

    rows = inbox(open_node(home), received_only=not all_items)
    if as_json:
        print_json([asdict(row) for row in rows])
        return
    if not rows:
        console.print("the inbox is empty" if not all_items else "this node holds no item")
        return
    table = Table("item", "from", "marking", "topics", "state", box=None, header_style="bold")
    for row in rows:
        table.add_row(
            row.item_id,
            row.received_from or row.originator,
            row.marking,
            ", ".join(row.topics),
            row.state,
        )
    console.print(table)


def open_holding(
    item: str, person: str, home: Path | None, output: Path, *, visit: str | None = None
) -> int:
    """``open ITEM --as NAME [--visit V]``: used by the ``open`` command."""
    from pactshare.node.holdings import open_item  # noqa: PLC0415 - loaded when used

    node = open_node(home)
    return open_item(node, item, person_name=person, output=output, visit_id=visit)
