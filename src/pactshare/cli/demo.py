"""``pactshare demo``: three nodes (KOR, JPN, USA) replay 2019 over the federation, then serve
the dashboard until Ctrl-C (``--no-serve`` exits after the replay)."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.demo.replay import Step, replay
from pactshare.demo.world import World, running_world
from pactshare.errors import InputError

INTRO = (
    "[bold]pactshare[/] lets governments share secrets only as their written agreements allow.\n"
    "In 2019 Seoul and Tokyo nearly lost GSOMIA, their direct military-intelligence pact: Seoul "
    "gave 90 days' notice in August and suspended it six hours before expiry. Without GSOMIA, "
    "North Korean missile data could only travel through Washington under TISA (2014), with "
    "Seoul's consent for each relay. Three nodes — one per government — now replay that story."
)
SHORT_NAMES = {"gsomia-kor-jpn-2016": "GSOMIA", "tisa-2014": "TISA"}
_COLOURS = {"allowed": "green", "relay": "yellow", "refused": "red", "notified": "cyan"}


def _short(route: str) -> str:
    """The route with the agreements' common names, for a narrow terminal."""
    for agreement, name in SHORT_NAMES.items():
        route = route.replace(agreement, name)
    return route


def _table(steps: list[Step]) -> Table:
    table = Table(header_style="bold", show_lines=True)
    table.add_column("when (KST)", no_wrap=True)
    table.add_column("what happened", ratio=3)
    table.add_column("decision and route", ratio=2)
    table.add_column("what the nodes recorded", ratio=2)
    table.add_column("had Seoul not suspended", ratio=1)
    for step in steps:
        colour = _COLOURS.get(step.outcome, "white")
        table.add_row(
            step.at.replace("T", "\n").removesuffix("+09:00"),
            step.what,
            f"[{colour}]{step.outcome}[/] {_short(step.route)}",
            step.result,
            step.without_suspension or "",
        )
    return table


def _serve(world: World) -> None:
    console.print("\n[bold]Dashboards[/] (sign in with the officer's token to see holdings):")
    for party, url in world.urls.items():
        console.print(f"  {party}: {url}/   token: {world.tokens[party]}")
    console.print(
        f"Open {world.urls['KOR']}/ and move the time slider to 2019-11-23 00:00 KST, with and "
        "without the suspension. Press Ctrl-C to stop."
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("stopped")


@app.command("demo")
def demo(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Create the three nodes here (default: a temporary folder)."),
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboards after the replay.")
    ] = True,
    host: Annotated[str, typer.Option("--host", help="Address to serve on.")] = "127.0.0.1",
    as_json: JsonOpt = False,
) -> None:
    """Replay the 2019 GSOMIA crisis on three nodes, then serve the dashboard."""
    if directory is not None and directory.exists() and any(directory.iterdir()):
        raise InputError(f"--dir: {directory} is not empty; give a new or empty directory")
    root = directory or Path(tempfile.mkdtemp(prefix="pactshare-demo-"))
    try:
        with running_world(root, host=host) as world:
            steps = replay(world)
            if as_json:
                print_json({"dir": str(root), "steps": [step.as_json() for step in steps]})
            else:
                console.print(INTRO)
                console.print(_table(steps))
                console.print(f"nodes in {root} (each: pactshare audit verify --home DIR)")
            if serve:
                _serve(world)
    finally:
        if directory is None:
            shutil.rmtree(root, ignore_errors=True)
