"""``pactshare demo``: three nodes (KOR, JPN, USA) replay 2019 over the federation, then serve
the dashboard until Ctrl-C (``--no-serve`` exits after the replay)."""

from __future__ import annotations

import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.padding import Padding
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.errors import InputError

if TYPE_CHECKING:
    from pactshare.demo.replay import Step
    from pactshare.demo.world import World


INTRO = (
    "[bold]pactshare[/] lets governments share secrets only as their written agreements allow.\n"
    "In 2019 Seoul and Tokyo nearly lost GSOMIA, their direct military-intelligence pact: Seoul "
    "gave 90 days' notice in August and suspended it six hours before expiry. Without GSOMIA, "
    "North Korean missile data could only travel through Washington under TISA (2014), with "
    "Seoul's consent for each relay. Three nodes — one per government — now replay that story."
)
SHORT_NAMES = {"gsomia-kor-jpn-2016": "GSOMIA", "tisa-2014": "TISA"}
_COLOURS = {
    "allowed": "green",
    "relay": "yellow",
    "refused": "red",
    "assured": "cyan",
    "notified": "cyan",
}


def _short(route: str) -> str:
    """The route with the agreements' common names, for a narrow terminal."""
    for agreement, name in SHORT_NAMES.items():
        route = route.replace(agreement, name)
    return route


WIDE = 110  # columns from which the steps read best as one table


def _decision(step: Step) -> str:
    colour = _COLOURS.get(step.outcome, "white")
    route = "" if step.route == "—" else f" {_short(step.route)}"
    return f"[{colour}]{step.outcome}[/]{route}"


def _when(step: Step) -> str:
    return step.at.replace("T", " ").removesuffix("+09:00") + " KST"


def _table(steps: list[Step]) -> Table:
    table = Table(header_style="bold", show_lines=True)
    table.add_column("when (KST)", no_wrap=True)
    table.add_column("what happened", ratio=3)
    table.add_column("decision and route", ratio=2)
    table.add_column("what the nodes recorded", ratio=2)
    table.add_column("had Seoul not suspended", ratio=1)
    for step in steps:
        table.add_row(
            step.at.replace("T", "\n").removesuffix("+09:00"),
            step.what,
            _decision(step),
            step.result,
            step.without_suspension or "",
        )
    return table


def _progress(step: Step) -> None:
    """One step as the replay records it: a line a narrow terminal or a pipe keeps readable."""
    console.print(f"[bold]{_when(step)}[/]  {step.what}")
    console.print(Padding(f"→ {_decision(step)}: {step.result}", (0, 0, 0, 4), expand=False))
    if step.without_suspension:
        console.print(
            Padding(
                f"had Seoul not suspended its notice: {step.without_suspension}",
                (0, 0, 0, 4),
                expand=False,
            )
        )


def _serve(world: World, *, temporary: bool) -> None:
    console.print("\n[bold]Dashboards[/] (sign in with the officer's token to see holdings):")
    for party, url in world.urls.items():
        console.print(f"  {party}: {url}/")
        # a token is copied whole: never wrapped, whatever the terminal's width
        console.print(f"    token: {world.tokens[party]}", soft_wrap=True)
    console.print(
        f"Open {world.urls['KOR']}/ and move the time slider to 2019-11-23 00:00 KST, with and "
        "without the suspension. Press Ctrl-C to stop"
        + (" (the temporary nodes are then deleted)." if temporary else ".")
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("stopped")


def _stop_on_sigterm() -> None:
    """SIGTERM stops the demo as Ctrl-C does, so that its temporary nodes (private keys
    inside) are deleted too."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


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
    temporary = directory is None
    root = directory or Path(tempfile.mkdtemp(prefix="pactshare-demo-"))
    _stop_on_sigterm()
    try:
        if not as_json:
            console.print(INTRO)
            kept = "deleted when the demo ends" if temporary else "kept"
            console.print(f"Creating the three nodes in {root} ({kept})…\n")
        # loaded after the introduction is on screen: the nodes and their servers take a second
        from pactshare.demo.replay import replay  # noqa: PLC0415 - loaded when used
        from pactshare.demo.world import running_world  # noqa: PLC0415 - loaded when used

        with running_world(root, host=host) as world:
            steps = replay(world, on_step=(lambda _step: None) if as_json else _progress)
            if as_json:
                print_json({"dir": str(root), "steps": [step.as_json() for step in steps]})
            else:
                if console.width >= WIDE:
                    console.print(_table(steps))
                if not temporary:
                    console.print(f"nodes in {root} (each: pactshare audit verify --home DIR)")
            if serve:
                _serve(world, temporary=temporary)
    except KeyboardInterrupt:
        if not as_json:
            console.print("stopped")
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
