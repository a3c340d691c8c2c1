"""The ``pactshare`` application object and its entry point.

Exit codes (a contract): 0 allowed, relay or ok; 1 refused; 2 bad input, with a one-line
message naming the input on standard error and never a traceback.
"""

from __future__ import annotations

import sys

import click
import typer

from pactshare.errors import PactshareError

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


def _register_commands() -> None:
    """Attach every command group; imported here so that ``app`` is defined first."""
    # Each command module registers itself on `app` when imported.


def run() -> None:
    """Console-script entry point: run the app and map errors to exit codes."""
    _register_commands()
    try:
        result = app(standalone_mode=False)
    except PactshareError as exc:
        click.echo(f"pactshare: error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(EXIT_BAD_INPUT)
    except click.exceptions.Abort:
        click.echo("pactshare: aborted", err=True)
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(result if isinstance(result, int) else EXIT_OK)
