"""The entry point imports only the modules of the command it runs: the map it reads them
from must name, for every top-level command, exactly the modules that register it."""

from __future__ import annotations

import subprocess
import sys

import typer

from pactshare.cli.main import COMMAND_MODULES, _register_commands, app


def _modules(group: typer.Typer) -> set[str]:
    """The modules whose functions are commands (or the callback) of ``group``, at any depth."""
    found = {
        command.callback.__module__ for command in group.registered_commands if command.callback
    }
    if group.registered_callback is not None and group.registered_callback.callback is not None:
        found.add(group.registered_callback.callback.__module__)
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        found |= _modules(sub.typer_instance)
    return found


def test_the_map_names_every_command_and_the_modules_that_register_it() -> None:
    _register_commands()  # every module, as for --help
    registered: dict[str, set[str]] = {}
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__.replace("_", "-")
        registered.setdefault(name, set()).add(command.callback.__module__)
    for group in app.registered_groups:
        assert group.typer_instance is not None
        group_name = group.name or group.typer_instance.info.name
        assert isinstance(group_name, str)
        registered.setdefault(group_name, set()).update(_modules(group.typer_instance))
    named = {
        name: {f"pactshare.cli.{m}" for m in modules} for name, modules in COMMAND_MODULES.items()
    }
    assert named == registered


def test_a_command_run_alone_registers_its_whole_group_and_no_other() -> None:
    probe = (
        "import sys\n"
        "from pactshare.cli.main import _register_commands, app\n"
        "_register_commands(['person'])\n"
        "print(sorted(g.name for g in app.registered_groups))\n"
        "print('pactshare.cli.audit' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[1] == "False"
    assert "'person'" in done.stdout.split("\n")[0]
