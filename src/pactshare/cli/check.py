"""``pactshare check``: may this item go from A to B at instant T, and why?

Exit 0 when allowed (directly or through a hub), 1 when refused, 2 on bad input.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pactshare.cli.main import EXIT_OK, EXIT_REFUSED, app
from pactshare.cli.nodes import ViewHomeOpt, registry_view, view_instant
from pactshare.cli.options import (
    AddEventOpt,
    AgreementsOpt,
    AtOpt,
    DropEventOpt,
    InterpretationOpt,
    JsonOpt,
    LateNoticeOpt,
    interpretation,
    parse_approval,
    what_if,
)
from pactshare.cli.render import print_decision, print_json
from pactshare.domain import decide
from pactshare.domain.questions import Question, QuestionField, build_request
from pactshare.domain.wire import decision_json
from pactshare.errors import InputError

#: The option that gives each field of the question.
OPTIONS = {
    QuestionField.FROM: "--from",
    QuestionField.TO: "--to",
    QuestionField.HOLDER: "--holder",
    QuestionField.CLASSIFICATION: "--classification",
    QuestionField.TOPICS: "--topic",
    QuestionField.RELEASABLE_TO: "--releasable-to",
    QuestionField.DROP_EVENT: "--drop-event",
}


@app.command("check")
def check(
    sender: Annotated[str, typer.Option("--from", help="The originator, e.g. KOR.")],
    recipient: Annotated[str, typer.Option("--to", help="The recipient, e.g. JPN.")],
    classification: Annotated[
        str, typer.Option(help="Originator's level: national name or id, e.g. '군사 II급 비밀'.")
    ],
    topic: Annotated[
        list[str],
        typer.Option(
            "--topic", help="A topic of the vocabulary, e.g. dprk-missile/slbm. Repeatable."
        ),
    ],
    at: AtOpt = None,
    holder: Annotated[
        str | None, typer.Option(help="Current holder if not the originator (onward release).")
    ] = None,
    purpose: Annotated[str | None, typer.Option(help="Purpose of this provision or use.")] = None,
    provided_for: Annotated[
        str | None, typer.Option(help="Purpose the holder received the item for.")
    ] = None,
    releasable_to: Annotated[
        list[str] | None, typer.Option("--releasable-to", help="Label's releasable-to. Repeatable.")
    ] = None,
    approval: Annotated[
        list[str] | None,
        typer.Option(
            help="Originator's written approval on file: KIND:SUBJECT:INSTANT. Repeatable."
        ),
    ] = None,
    received_under: Annotated[
        str | None, typer.Option(help="Agreement the holder received the item under.")
    ] = None,
    profile: InterpretationOpt = "treaty-text",
    late_notice: LateNoticeOpt = "roll-over",
    drop_event: DropEventOpt = None,
    add_event: AddEventOpt = None,
    agreements: AgreementsOpt = None,
    home: ViewHomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide whether an item may be provided, by which route, and why (a dry run)."""
    reading = interpretation(profile, late_notice)
    when = view_instant(at, home)
    question = Question(
        sender=sender,
        recipient=recipient,
        classification=classification,
        topics=tuple(topic),
        holder=holder,
        purpose=purpose,
        provided_for=provided_for,
        releasable_to=tuple(releasable_to or ()),
        approvals=tuple(parse_approval(text) for text in approval or ()),
        received_under=received_under,
        drop_events=tuple(drop_event or ()),
    )
    asked = build_request(question, registry_view(home, agreements))
    if asked.request is None:
        problem = asked.problems[0]
        raise InputError(f"{OPTIONS[problem.field]}: {problem.text}")
    request = asked.request
    bilateral = asked.registry.bilaterals(request.holder or request.originator, request.recipient)
    registry = what_if(
        asked.registry,
        add_events=add_event,
        default_target=bilateral[0].id if len(bilateral) == 1 else None,
    )
    decision = decide(request, registry, when, reading)
    if as_json:
        print_json(decision_json(decision))
    else:
        print_decision(decision)
    raise typer.Exit(EXIT_OK if decision.allowed else EXIT_REFUSED)
