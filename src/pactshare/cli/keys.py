"""``pactshare keys``: create, rotate, export and show a party's keys.

Private keys stay in the key folder (``--dir``, files 0600). When
``PACTSHARE_KEY_PASSPHRASE`` is set, private keys are written encrypted with it and read
with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pactshare.cli._files import passphrase, unencrypted_hint
from pactshare.cli.main import app
from pactshare.cli.render import to_the_second
from pactshare.node.clock import real_now

if TYPE_CHECKING:
    from pactshare.seal.keys import PartyKeys


__all__ = ["keys_app"]

keys_app = typer.Typer(
    name="keys",
    help="Create, rotate, export and show a party's signing and encryption keys.",
    no_args_is_help=True,
)
app.add_typer(keys_app)

DIR_OPTION = typer.Option(..., "--dir", help="The party's private key folder.")


def _describe(keys: PartyKeys) -> dict[str, object]:
    return {
        "party": keys.party,
        "current_generation": keys.current.generation,
        "generations": [
            {
                "generation": g.generation,
                "created_at": g.created_at.isoformat(),
                "signing_key_id": g.public(keys.party).signing_key_id,
                "encryption_key_id": g.public(keys.party).encryption_key_id,
            }
            for g in keys.generations
        ],
    }


def _print(keys: PartyKeys, *, as_json: bool) -> None:
    described = _describe(keys)
    if as_json:
        typer.echo(json.dumps(described, indent=2))
        return
    typer.echo(f"party {keys.party}")
    for g in keys.generations:
        public = g.public(keys.party)
        mark = " (current)" if g is keys.current else ""
        typer.echo(f"  generation {g.generation}{mark}, created {to_the_second(g.created_at)}")
        typer.echo(f"    signing     {public.signing_key_id}")
        typer.echo(f"    encryption  {public.encryption_key_id}")


@keys_app.command("init")
def init_command(
    party: str = typer.Option(..., "--party", help="Three-letter party code, e.g. KOR."),
    folder: Path = DIR_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """Create a key folder with a fresh Ed25519 signing key and X25519 encryption key."""
    from pactshare.seal import init_keys  # noqa: PLC0415 - loaded when used

    keys = init_keys(folder, party, at=real_now(), passphrase=passphrase())
    _print(keys, as_json=as_json)
    unencrypted_hint(folder)


@keys_app.command("rotate")
def rotate_command(
    folder: Path = DIR_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """Add a new key generation; older keys are kept to open items sealed to them."""
    from pactshare.seal import rotate_keys  # noqa: PLC0415 - loaded when used

    keys = rotate_keys(folder, at=real_now(), passphrase=passphrase())
    _print(keys, as_json=as_json)
    unencrypted_hint(folder)


@keys_app.command("export")
def export_command(
    folder: Path = DIR_OPTION,
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the record."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """Write the party's signed public key record (put it in others' public directories)."""
    from pactshare.files import atomic_output  # noqa: PLC0415 - loaded when used
    from pactshare.seal import PublicKeyRecord, load_keys  # noqa: PLC0415 - loaded when used

    keys = load_keys(folder, passphrase=passphrase())
    with atomic_output(output) as handle:
        handle.write(PublicKeyRecord.export(keys))
    if as_json:
        summary = {"party": keys.party, "signing_key": keys.signing_key_id, "output": str(output)}
        typer.echo(json.dumps(summary))
        return
    typer.echo(f"wrote the public key record of {keys.party} to {output}")


@keys_app.command("show")
def show_command(
    folder: Path = DIR_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for machines."),
) -> None:
    """Show the party and the key ids of every generation."""
    from pactshare.seal import load_keys  # noqa: PLC0415 - loaded when used

    _print(load_keys(folder, passphrase=passphrase()), as_json=as_json)
