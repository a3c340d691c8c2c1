"""The ``pactshare`` application object and its entry point.

Exit codes (a contract): 0 allowed, relay or ok; 1 refused; 2 bad input, with a one-line
message naming the input on standard error and never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Annotated

import typer

from pactshare import __version__
from pactshare.cli._help import plain_placeholders
from pactshare.errors import PactshareError, RefusedError

app = typer.Typer(
    name="pactshare",
    help="Share sensitive information only as written agreements allow.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
CRASH_ENV = "PACTSHARE_CRASH_AT"  # a test seam: crash at a named point (see node.faults)


def _print_version(wanted: bool) -> None:
    if wanted:
        print(f"pactshare {__version__}")  # noqa: T201 - the CLI's own voice
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """Share sensitive information only as written agreements allow."""


COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "agreement": ("agreements",),
    "assurance": ("assurances",),
    "audit": ("audit",),
    "authority": ("authorities",),
    "check": ("check",),
    "consent": ("consents",),
    "contractor": ("contractors",),
    "copy": ("copies",),
    "deliver": ("federation",),
    "demo": ("demo",),
    "destroy": ("custody",),
    "directory": ("nodes",),
    "export": ("export",),
    "inbox": ("holdings",),
    "incident": ("incidents",),
    "inspect": ("envelope",),
    "inventory": ("custody",),
    "keys": ("keys",),
    "law": ("laws",),
    "locate": ("custody",),
    "node": ("nodes",),
    "note": ("notes",),
    "open": ("envelope",),
    "outbox": ("federation",),
    "peer": ("federation",),
    "person": ("nodes", "personnel"),
    "provide": ("holdings",),
    "receive": ("holdings",),
    "reclassify": ("custody",),
    "register": ("holdings",),
    "relay": ("envelope",),
    "seal": ("envelope",),
    "serve": ("federation",),
    "translate": ("copies",),
    "user": ("nodes", "personnel"),
    "verify": ("envelope",),
    "verify-agreements": ("proofs",),
    "visit": ("visits",),
}
"""Each top-level command or group, and the modules of :mod:`pactshare.cli` that register it
(and its subcommands) on ``app``; a unit test holds it to what registering them all gives."""


def _register_commands(argv: Sequence[str] = ()) -> None:
    """Attach the command groups ``argv`` names (every one for help, a bare ``pactshare``, an
    option or a name we do not know, so that Typer lists them all or says what is wrong).

    A command builds only its own group: importing every module and building all of the
    CLI's commands was a sixth of a command's start-up. Imported here, not at the top,
    because each module imports ``app`` from this one to register on it."""
    wanted = COMMAND_MODULES.get(argv[0]) if argv else None  # options come before a command
    if wanted is None:
        wanted = tuple(dict.fromkeys(m for names in COMMAND_MODULES.values() for m in names))
    for module in wanted:
        import_module(f"pactshare.cli.{module}")


def run() -> None:
    """Console-script entry point: run the app; our own errors become one line and exit 2.

    Usage errors (unknown option, missing value) are reported by Typer itself, also with 2.
    """
    _register_commands(sys.argv[1:])
    plain_placeholders()
    from pactshare.node import faults  # noqa: PLC0415 - loaded when used

    faults.arm(os.environ.get(CRASH_ENV))
    try:
        app()
    except RefusedError as exc:
        print(f"pactshare: refused: {exc}", file=sys.stderr)  # noqa: T201 - the CLI's own voice
        for reason in exc.reasons:
            print(f"  {reason}", file=sys.stderr)  # noqa: T201
        sys.exit(EXIT_REFUSED)
    except PactshareError as exc:
        message = " ".join(str(exc).splitlines())  # one line, whatever the message holds
        print(f"pactshare: error: {message}", file=sys.stderr)  # noqa: T201 - the CLI's own voice
        sys.exit(EXIT_BAD_INPUT)
