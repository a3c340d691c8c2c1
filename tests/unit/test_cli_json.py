"""Every command takes ``--json`` (the README's promise), found by walking the Typer app, so a
command added without it fails here rather than in a user's script."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

from pactshare.cli.main import _register_commands, app

# A command may go without --json only for a reason written here.
WITHOUT_JSON = {
    # A long-running server: it answers on its port (the API is JSON) and logs while it runs;
    # it has no result to print when it ends.
    "serve": "a server, not a command with a result",
}


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every leaf command, by its full name (groups hold ``commands``; Typer vendors click)."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield " ".join(path), command
        return
    for name, sub in subcommands.items():
        yield from _commands(sub, (*path, name))


def _all_commands() -> dict[str, Any]:
    _register_commands()
    return dict(_commands(typer.main.get_command(app)))


def test_every_command_takes_json_except_the_justified_ones() -> None:
    commands = _all_commands()
    missing = sorted(
        name
        for name, command in commands.items()
        if "--json" not in {opt for param in command.params for opt in getattr(param, "opts", ())}
    )
    assert missing == sorted(WITHOUT_JSON)


def test_the_walk_reaches_nested_commands_and_the_exceptions_exist() -> None:
    commands = _all_commands()
    assert {"audit prove", "audit consistency", "relay forward", "keys export"} <= set(commands)
    assert set(WITHOUT_JSON) <= set(commands)
