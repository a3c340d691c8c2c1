"""The decision explorer: ask what would happen to an item (from, to, classification,
topics, instant, interpretation, a what-if dropped event) and see the decision with its route,
markings, consents needed and every reason citing its rule id.

Bad input shows the form again with the message beside the field, answered 400.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pactshare.api.auth import current_node
from pactshare.domain import (
    Decision,
    Interpretation,
    Prepared,
    Profile,
    Registry,
    decide,
    parse_instant,
)
from pactshare.domain import (
    Request as ProvisionRequest,
)
from pactshare.domain.questions import Question, build_request
from pactshare.errors import PactshareError
from pactshare.web.rendering import page
from pactshare.web.story import SAMPLES

__all__ = ["router"]

router = APIRouter()

FIELDS = ("from", "to", "classification", "topics", "at", "interpretation", "drop_event")
EXAMPLE = {
    "from": SAMPLES[0].request.originator,
    "to": SAMPLES[0].request.recipient,
    "classification": SAMPLES[0].request.classification,
    "topics": " ".join(SAMPLES[0].request.topics),
    "at": "2019-11-23T00:00:00+09:00",
    "interpretation": Profile.TREATY_TEXT.value,
    "drop_event": "",
}


@dataclass
class Asked:
    """What the form asked for, parsed; ``errors`` maps a field to what is wrong with it."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    request: ProvisionRequest | None = None
    at: datetime | None = None
    interpretation: Interpretation | None = None
    against: Prepared | Registry | None = None  # the node's registry, or a what-if of it


def _parse(values: dict[str, str], held: Prepared) -> Asked:
    asked = Asked(values)
    drop = values["drop_event"].strip()
    question = Question(
        sender=values["from"],
        recipient=values["to"],
        classification=values["classification"].strip(),
        topics=tuple(values["topics"].replace(",", " ").split()),
        drop_events=(drop,) if drop else (),
    )
    built = build_request(question, held.registry)
    for problem in built.problems:
        asked.errors.setdefault(problem.field.value, problem.text)
    try:
        asked.at = parse_instant(values["at"], what="instant")
    except PactshareError as exc:
        asked.errors["at"] = str(exc).removeprefix("instant: ")
    try:
        asked.interpretation = Interpretation(profile=Profile(values["interpretation"]))
    except ValueError:
        asked.errors["interpretation"] = "choose treaty-text or kr-anytime"
    asked.against = held if built.registry is held.registry else built.registry
    if not asked.errors:
        asked.request = built.request
    return asked


def _events(registry: Registry) -> list[tuple[str, str]]:
    return [
        (event.id, f"{agreement.id}: {event.kind.value.replace('_', ' ')} {event.at.date()}")
        for agreement in registry.agreements.values()
        for event in agreement.events
        if event.kind.value.startswith("notice")
    ]


@router.get("/decide", response_class=HTMLResponse)
def explorer(request: Request) -> HTMLResponse:
    held = current_node(request).prepared_now()
    registry = held.registry
    query = request.query_params
    submitted = any(name in query for name in FIELDS)
    values = {name: query.get(name, "" if submitted else EXAMPLE[name]) for name in FIELDS}
    if submitted and not values["interpretation"]:
        values["interpretation"] = Profile.TREATY_TEXT.value
    decision: Decision | None = None
    asked = Asked(values)
    problem = None
    if submitted:
        asked = _parse(values, held)
        if asked.request and asked.against and asked.at and asked.interpretation:
            try:
                decision = decide(asked.request, asked.against, asked.at, asked.interpretation)
            except PactshareError as exc:
                problem = str(exc)
    context = {
        "values": values,
        "errors": asked.errors,
        "problem": problem,
        "decision": decision,
        "parties": sorted(registry.parties.values(), key=lambda p: p.code),
        "profiles": [p.value for p in Profile],
        "topics": registry.topics.topics if registry.topics else {},
        "events": _events(registry),
        "submitted": submitted,
    }
    status = 400 if asked.errors or problem else 200
    return page(request, "decide.html", context, status=status)
