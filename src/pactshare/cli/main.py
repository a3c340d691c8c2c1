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
    # Each command module registers itself on `app` when imported.
    # Imported for their effect, inside the function because they import `app` from here.
    import pactshare.cli.envelope  # noqa: PLC0415
    import pactshare.cli.keys  # noqa: F401, PLC0415


def run() -> None:
    """Console-script entry point: run the app and map errors to exit codes."""
    _register_commands()
    try:
        result = app(standalone_mode=False)
    except PactshareError as exc:
        message = " ".join(str(exc).splitlines())  # one line, whatever the message holds
        typer.echo(f"pactshare: error: {message}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except typer.TyperException as exc:
        # Usage errors. Typer vendors click (typer._click) since 0.2x, so the `click` package
        # is no longer installed and its exception classes would not catch these.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"pactshare: error: {exc.format_message()}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except typer.Abort:
        typer.echo("pactshare: aborted", err=True)
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(result if isinstance(result, int) else EXIT_OK)
