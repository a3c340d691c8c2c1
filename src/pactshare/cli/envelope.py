"""``pactshare seal | open | inspect | verify | relay``: sealed envelopes on the command line.

Every output goes through a temporary file renamed only on success: a refused, altered or
truncated envelope leaves no partial plaintext behind.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pactshare.cli._files import open_input, passphrase
from pactshare.cli.main import app
from pactshare.cli.options import AgreementsOpt, registry_for
from pactshare.cli.render import counted, to_the_second
from pactshare.defaults import DEFAULT_CHUNK_SIZE
from pactshare.domain import normalise_party_code
from pactshare.domain.labels import check_label
from pactshare.errors import EnvelopeError, InputError
from pactshare.node.clock import real_now

if TYPE_CHECKING:
    from pactshare.seal import EnvelopeInfo


__all__ = ["relay_app"]

KEYS_OPTION = typer.Option(..., "--keys", help="Your private key folder.")
DIRECTORY_OPTION = typer.Option(
    ..., "--directory", help="Folder of pinned public key records of the parties."
)
OUTPUT_OPTION = typer.Option(..., "-o", "--output", help="Where to write the result.")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON for machines.")

relay_app = typer.Typer(
    name="relay",
    help="Relay an envelope through a hub, adding the hub's signed hop record.",
    no_args_is_help=True,
)
app.add_typer(relay_app)


@contextmanager
def _naming(envelope: Path) -> Iterator[None]:
    """Prefix envelope errors with the file they are about (keeping their class)."""
    try:
        yield
    except EnvelopeError as exc:
        exc.args = (f"{envelope}: {exc}",)
        raise


@app.command("seal")
def seal_command(
    file: Path = typer.Argument(..., help="The item to seal."),
    label_file: Path = typer.Option(..., "--label", help="The item's label (TOML)."),
    to: list[str] = typer.Option(..., "--to", help="A recipient party (repeatable)."),
    keys_dir: Path = KEYS_OPTION,
    directory_dir: Path = DIRECTORY_OPTION,
    output: Path = OUTPUT_OPTION,
    chunk_size: int = typer.Option(DEFAULT_CHUNK_SIZE, "--chunk-size", help="Payload chunk size."),
    agreements: AgreementsOpt = None,
    as_json: bool = JSON_OPTION,
) -> None:
    """Seal FILE for the --to parties, with its label signed by you.

    The label is checked as a node's `register` checks it, against the reference scenario
    plus --agreements DIR: a known policy the originator is party to, the originator's own
    level, known topics, and releasable_to naming every --to party.
    """
    from pactshare.files import atomic_output  # noqa: PLC0415 - loaded when used
    from pactshare.seal import Directory, Label, load_keys, seal  # noqa: PLC0415 - loaded when used

    keys = load_keys(keys_dir, passphrase=passphrase())
    directory = Directory.from_folder(directory_dir)
    parties = [normalise_party_code(party) for party in dict.fromkeys(to)]
    recipients = [directory.current(party) for party in parties]
    label = Label.from_toml_file(
        label_file, item_id=str(uuid.uuid4()), created_at=real_now().replace(microsecond=0)
    )
    level = check_label(
        label, registry_for(agreements), source=str(label_file), signer=keys.party, to=parties
    )
    label = Label.from_mapping({**label.as_json(), "classification": level.id})
    with open_input(file) as payload, atomic_output(output) as out:
        for piece in seal(payload, label, keys, recipients, chunk_size=chunk_size):
            out.write(piece)
    if as_json:
        typer.echo(json.dumps({"item_id": label.item_id, "to": parties, "output": str(output)}))
        return
    typer.echo(f"sealed {file} for {', '.join(parties)} into {output}")


@app.command("open")
def open_command(
    target: Path = typer.Argument(..., help="An envelope file, or with --as an item id."),
    keys_dir: Path | None = typer.Option(None, "--keys", help="Your private key folder."),
    directory_dir: Path | None = typer.Option(
        None, "--directory", help="The pinned public directory (a folder of key records)."
    ),
    person: str | None = typer.Option(
        None, "--as", help="Open a node's holding as this person (with --home)."
    ),
    visit: str | None = typer.Option(
        None, "--visit", help="With --as: a visitor of this approved visit (R-VIS-1)."
    ),
    home: Path | None = typer.Option(None, "--home", help="The node (or $PACTSHARE_HOME)."),
    output: Path = OUTPUT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Open an envelope (--keys, --directory) or a node's holding (ITEM --as NAME --home D).

    Writes the plaintext only if everything verified and, for a holding, only if the person's
    clearance and need-to-know allow it (a visitor, with --visit: the approved visit's level,
    topics and dates); every attempt is recorded in the access registry.
    """
    from pactshare.files import atomic_output  # noqa: PLC0415 - loaded when used
    from pactshare.seal import Directory, load_keys, open  # noqa: PLC0415 - loaded when used

    if person is not None:
        from pactshare.cli.holdings import open_holding  # noqa: PLC0415 - holdings imports this module

        written = open_holding(str(target), person, home, output, visit=visit)
        if as_json:
            typer.echo(
                json.dumps({"item_id": str(target), "output": str(output), "bytes": written})
            )
        else:
            typer.echo(f"{person} opened {target}; {counted(written, 'byte')} written to {output}")
        return
    if keys_dir is None or directory_dir is None:
        raise InputError(
            "open: give --keys and --directory for an envelope, or --as NAME for an item"
        )
    keys = load_keys(keys_dir, passphrase=passphrase())
    directory = Directory.from_folder(directory_dir)
    envelope = target
    with open_input(envelope) as source, _naming(envelope):
        label, plaintext = open(source, keys, directory)
        with atomic_output(output) as out:
            for piece in plaintext:
                out.write(piece)
    if as_json:
        typer.echo(json.dumps({"label": label.as_json(), "output": str(output)}, indent=2))
    else:
        typer.echo(f"opened {envelope}: {label.classification} from {label.originator}")
        typer.echo(f"verified; plaintext written to {output}")


def _info_json(info: EnvelopeInfo) -> dict[str, object]:
    return {
        "format_version": info.version,
        "envelope_id": info.envelope_id,
        "label": info.label.as_json(),
        "originator_key_id": info.originator_key_id,
        "chunk_size": info.chunk_size,
        "recipients": [{"party": s.party, "key_id": s.key_id} for s in info.recipients],
        "hops": [
            {
                "kind": h.kind,
                "at": h.at,
                "hub_key_id": h.hub_key_id,
                "to": list(h.to),
                "recipients": [{"party": s.party, "key_id": s.key_id} for s in h.recipients],
            }
            for h in info.hops
        ],
    }


def _print_info(info: EnvelopeInfo, *, verified: bool) -> None:
    label = info.label
    typer.echo(f"envelope {info.envelope_id} (format v{info.version})")
    typer.echo(f"  policy          {label.policy}")
    typer.echo(f"  originator      {label.originator} (signing key {info.originator_key_id})")
    typer.echo(f"  classification  {label.classification}")
    typer.echo(f"  topics          {', '.join(label.topics) or '-'}")
    typer.echo(f"  releasable to   {', '.join(label.releasable_to)}")
    if label.caveats:
        typer.echo(f"  caveats         {', '.join(label.caveats)}")
    if label.purpose:
        typer.echo(f"  purpose         {label.purpose}")
    typer.echo(f"  item            {label.item_id}, created {to_the_second(label.created_at)}")
    for stanza in info.recipients:
        typer.echo(f"  recipient       {stanza.party} {stanza.key_id}")
    for hop in info.hops:
        typer.echo(f"  hop             {hop.kind} by {hop.hub_key_id} to {', '.join(hop.to)}")
        for stanza in hop.recipients:
            typer.echo(f"    recipient     {stanza.party} {stanza.key_id}")
    state = "signature verified" if verified else "NOT verified (use `pactshare verify`)"
    typer.echo(f"  status          {state}")


@app.command("inspect")
def inspect_command(
    envelope: Path = typer.Argument(..., help="The envelope to inspect."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the label, originator and recipients' key ids, without decrypting or verifying."""
    from pactshare.seal import inspect  # noqa: PLC0415 - loaded when used

    with open_input(envelope) as source, _naming(envelope):
        info = inspect(source)
    if as_json:
        typer.echo(json.dumps({**_info_json(info), "verified": False}, indent=2))
    else:
        _print_info(info, verified=False)


@app.command("verify")
def verify_command(
    envelope: Path = typer.Argument(..., help="The envelope to verify."),
    directory_dir: Path = DIRECTORY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Verify the originator's signature and every hop record, without any private key."""
    from pactshare.seal import Directory, verify  # noqa: PLC0415 - loaded when used

    directory = Directory.from_folder(directory_dir)
    with open_input(envelope) as source, _naming(envelope):
        info = verify(source, directory)
    if as_json:
        typer.echo(json.dumps({**_info_json(info), "verified": True}, indent=2))
    else:
        _print_info(info, verified=True)


@relay_app.command("forward")
def forward_command(
    envelope: Path = typer.Argument(..., help="The envelope to pass on."),
    to: str = typer.Option(..., "--to", help="The next party (already a recipient)."),
    keys_dir: Path = KEYS_OPTION,
    directory_dir: Path = DIRECTORY_OPTION,
    output: Path = OUTPUT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Pass ENVELOPE on without reading it; the originator must have wrapped the key for --to."""
    from pactshare.files import atomic_output  # noqa: PLC0415 - loaded when used
    from pactshare.seal import Directory, forward, load_keys  # noqa: PLC0415 - loaded when used

    hub = load_keys(keys_dir, passphrase=passphrase())
    directory = Directory.from_folder(directory_dir)
    with open_input(envelope) as source, _naming(envelope), atomic_output(output) as out:
        for piece in forward(source, hub, directory, to=to, at=real_now()):
            out.write(piece)
    if as_json:
        typer.echo(json.dumps({"to": to, "output": str(output)}))
        return
    typer.echo(f"forwarded {envelope} to {to} into {output}")


@relay_app.command("rewrap")
def rewrap_command(
    envelope: Path = typer.Argument(..., help="An envelope addressed to you."),
    to: list[str] = typer.Option(..., "--to", help="A next recipient party (repeatable)."),
    keys_dir: Path = KEYS_OPTION,
    directory_dir: Path = DIRECTORY_OPTION,
    output: Path = OUTPUT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Wrap ENVELOPE's data key for the --to parties; the originator's signature stays valid."""
    from pactshare.files import atomic_output  # noqa: PLC0415 - loaded when used
    from pactshare.seal import Directory, load_keys, rewrap  # noqa: PLC0415 - loaded when used

    hub = load_keys(keys_dir, passphrase=passphrase())
    directory = Directory.from_folder(directory_dir)
    recipients = [directory.current(party) for party in dict.fromkeys(to)]
    with open_input(envelope) as source, _naming(envelope), atomic_output(output) as out:
        for piece in rewrap(source, hub, directory, to=recipients, at=real_now()):
            out.write(piece)
    if as_json:
        typer.echo(json.dumps({"to": list(dict.fromkeys(to)), "output": str(output)}))
        return
    typer.echo(f"re-wrapped {envelope} for {', '.join(dict.fromkeys(to))} into {output}")
