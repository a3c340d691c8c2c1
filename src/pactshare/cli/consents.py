"""Originators' written approvals: ``consent request|grant|revoke|record``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pactshare.cli.main import app
from pactshare.cli.nodes import HomeOpt, OutputOpt, emit_document, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json

consent_group = typer.Typer(help="Originators' written approvals for release or new use.")
app.add_typer(consent_group, name="consent")


ToOpt = Annotated[str | None, typer.Option("--to", help="The third party a release would go to.")]
PurposeOpt = Annotated[str | None, typer.Option("--purpose", help="The new purpose of use.")]


@consent_group.command("request")
def consent_request(
    item: Annotated[str, typer.Argument(help="The item id.")],
    to: ToOpt = None,
    purpose: PurposeOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """As a holder, ask the originator in writing to approve a release or a new use."""
    from pactshare.node.consents import request_consent  # noqa: PLC0415 - loaded when used

    document = request_consent(open_node(home), item, release_to=to, purpose=purpose)
    emit_document(document, output, "consent request", as_json=as_json)


@consent_group.command("grant")
def consent_grant(
    item: Annotated[str, typer.Argument(help="The item id.")],
    to: ToOpt = None,
    purpose: PurposeOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """As the originator, approve a release or a new use in writing (prior to it)."""
    from pactshare.node.consents import grant_consent  # noqa: PLC0415 - loaded when used

    document = grant_consent(open_node(home), item, release_to=to, purpose=purpose)
    emit_document(document, output, "approval", as_json=as_json)


@consent_group.command("revoke")
def consent_revoke(
    approval: Annotated[str, typer.Argument(help="The approval id.")],
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """As the originator, revoke an approval before it is used."""
    from pactshare.node.consents import revoke_consent  # noqa: PLC0415 - loaded when used

    emit_document(revoke_consent(open_node(home), approval), output, "revocation", as_json=as_json)


@consent_group.command("record")
def consent_record(
    file: Annotated[Path, typer.Argument(help="An approval or revocation from the originator.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """As a holder, put an approval or revocation received from the originator on file."""
    from pactshare.node.consents import record_consent  # noqa: PLC0415 - loaded when used

    body = record_consent(open_node(home), file)
    if as_json:
        print_json(body)
        return
    console.print(
        f"on file: {body.get('kind', 'revocation')} {body['approval_id']} for {body['item_id']}"
    )
