"""The ``pactshare`` application object and its entry point.

Exit codes (a contract): 0 allowed, relay or ok; 1 refused; 2 bad input, with a one-line
message naming the input on standard error and never a traceback.
"""

from __future__ import annotations

import os
import sys
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


def _register_commands() -> None:
    """Attach every command group; imported here so that ``app`` is defined first."""
    # Imported for their effect (each registers its commands on `app`); inside the function
    # because they import `app` from here.
    from pactshare.cli import (  # noqa: F401, PLC0415
        agreements,
        assurances,
        audit,
        authorities,
        check,
        consents,
        contractors,
        copies,
        custody,
        demo,
        envelope,
        export,
        federation,
        holdings,
        incidents,
        keys,
        laws,
        nodes,
        notes,
        personnel,
        proofs,
        visits,
    )


def run() -> None:
    """Console-script entry point: run the app; our own errors become one line and exit 2.

    Usage errors (unknown option, missing value) are reported by Typer itself, also with 2.
    """
    _register_commands()
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
