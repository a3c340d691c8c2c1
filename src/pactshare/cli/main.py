"""The ``pactshare`` application object and its entry point.

Exit codes (a contract): 0 allowed, relay or ok; 1 refused; 2 bad input, with a one-line
message naming the input on standard error and never a traceback.
"""

from __future__ import annotations

import sys

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
    from pactshare.cli import agreements, check, demo, export  # noqa: F401, PLC0415 - registers commands


def run() -> None:
    """Console-script entry point: run the app; our own errors become one line and exit 2.

    Usage errors (unknown option, missing value) are reported by Typer itself, also with 2.
    """
    _register_commands()
    try:
        app()
    except PactshareError as exc:
        print(f"pactshare: error: {exc}", file=sys.stderr)  # noqa: T201 - the CLI's own voice
        sys.exit(EXIT_BAD_INPUT)
