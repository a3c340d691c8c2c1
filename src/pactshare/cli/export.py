"""``pactshare export cedar``: the registry as a Cedar policy set, schema and entities.

Written files (the layout is a contract; files may be added, never renamed):

* ``policies.cedar`` — one ``permit`` per agreement, direction and route (direct, hub leg,
  relay, onward release), each with an ``@id`` naming it;
* ``policies.json`` — the same policies in Cedar's JSON policy-set form, keyed by those ids
  (Cedar reports them as the reasons of a decision; from the text file it reports
  ``policy0``…);
* ``schema.cedarschema`` — entity types ``Party``, ``Topic``, ``Agreement``, ``Item`` and the
  action ``provide`` with its context;
* ``entities.json`` — parties, agreements and every topic of the vocabulary, each a child
  of its parent topic up to ``Topic::"*"`` (Cedar JSON);
* ``context.json`` — each agreement's status at ``--at`` under the chosen reading: the part
  of a request's context pactshare computes, since Cedar has no clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pactshare.cli.main import app
from pactshare.cli.options import (
    AddEventOpt,
    AgreementsOpt,
    AtOpt,
    DropEventOpt,
    InterpretationOpt,
    JsonOpt,
    LateNoticeOpt,
    instant,
    interpretation,
    registry_for,
)
from pactshare.cli.render import console, counted, print_json, to_the_second
from pactshare.errors import InputError

group = typer.Typer(help="Export the agreements for other tools.")
app.add_typer(group, name="export")


@group.command("cedar")
def cedar(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory to write the Cedar files into.")
    ],
    at: AtOpt = None,
    agreements: AgreementsOpt = None,
    profile: InterpretationOpt = "treaty-text",
    late_notice: LateNoticeOpt = "roll-over",
    drop_event: DropEventOpt = None,
    add_event: AddEventOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the registry as Cedar files into --output (-o) DIR.

    DIR/policies.cedar: one permit per agreement, direction and route, each with an @id.
    DIR/policies.json: the same in Cedar's JSON policy-set form, keyed by those ids.
    DIR/schema.cedarschema: Party, Topic, Agreement, Item and the action provide.
    DIR/entities.json: parties, agreements and the topic vocabulary (Cedar JSON).
    DIR/context.json: each agreement's status at --at (Cedar has no clock), with the
    --drop-event / --add-event what-ifs applied.

    A request's shape is in the README ("Export to Cedar").
    """
    from pactshare.cedar import export_registry  # noqa: PLC0415 - loaded when used

    when, reading = instant(at), interpretation(profile, late_notice)
    registry = registry_for(agreements, drop_events=drop_event, add_events=add_event)
    export = export_registry(registry, when, reading)
    if output.exists() and not output.is_dir():
        raise InputError(f"--output: {output} exists and is not a directory")
    written = []
    try:
        output.mkdir(parents=True, exist_ok=True)
        for name, content in export.files().items():
            path = output / name
            path.write_text(content, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise InputError(f"--output: cannot write to {output} ({exc.strerror})") from exc
    policies = len(export.policy_set["staticPolicies"])
    if as_json:
        print_json(
            {
                "at": when.isoformat(),
                "policies": policies,
                "files": [str(path) for path in written],
            }
        )
        return
    console.print(
        f"{counted(policies, 'Cedar policy', 'Cedar policies')} "
        f"for the agreements at {to_the_second(when)}:"
    )
    for path in written:
        console.print(f"  {path}")
