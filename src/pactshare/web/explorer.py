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
    Profile,
    Registry,
    decide,
    normalise_party_code,
    parse_instant,
)
from pactshare.domain import (
    Request as ProvisionRequest,
)
from pactshare.errors import PactshareError, PolicyError
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
    registry: Registry | None = None


def _party(values: dict[str, str], name: str, registry: Registry, errors: dict[str, str]) -> str:
    code = normalise_party_code(values[name])
    if code not in registry.parties:
        known = ", ".join(sorted(registry.parties))
        errors[name] = f"{code!r} is not a party ({known})" if code else f"choose one of {known}"
        return ""
    return code


def _level(values: dict[str, str], sender: str, registry: Registry, errors: dict[str, str]) -> str:
    classification = values["classification"].strip()
    if not classification:
        errors["classification"] = "give the originator's classification level"
    elif sender and registry.parties[sender].scheme.find(classification) is None:
        names = ", ".join(level.name for level in registry.parties[sender].scheme.levels)
        errors["classification"] = f"not a level of {sender}; known: {names}"
    return classification


def _topics(values: dict[str, str], registry: Registry, errors: dict[str, str]) -> tuple[str, ...]:
    topics = tuple(values["topics"].replace(",", " ").split())
    if not topics:
        errors["topics"] = "give at least one topic, e.g. dprk-missile/slbm"
    try:
        registry.check_topics(topics)
    except PolicyError as exc:
        errors["topics"] = str(exc)
    return topics


def _without(values: dict[str, str], registry: Registry, errors: dict[str, str]) -> Registry:
    """The registry had the chosen event not happened (found by id in any agreement)."""
    drop = values["drop_event"].strip()
    if not drop:
        return registry
    try:
        return registry.without_event(drop)
    except PolicyError as exc:
        errors["drop_event"] = str(exc)
        return registry


def _parse(values: dict[str, str], registry: Registry) -> Asked:
    asked = Asked(values)
    errors = asked.errors
    sender = _party(values, "from", registry, errors)
    recipient = _party(values, "to", registry, errors)
    if sender and sender == recipient:
        errors["to"] = "the recipient must be another party than the originator"
    classification = _level(values, sender, registry, errors)
    topics = _topics(values, registry, errors)
    try:
        asked.at = parse_instant(values["at"], what="instant")
    except PactshareError as exc:
        errors["at"] = str(exc).removeprefix("instant: ")
    try:
        asked.interpretation = Interpretation(profile=Profile(values["interpretation"]))
    except ValueError:
        errors["interpretation"] = "choose treaty-text or kr-anytime"
    asked.registry = _without(values, registry, errors)
    if not errors:
        asked.request = ProvisionRequest(sender, recipient, classification, topics)
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
    node = current_node(request)
    with node.db.atomic() as tx:
        registry = node.registry(tx)
    query = request.query_params
    submitted = any(name in query for name in FIELDS)
    values = {name: query.get(name, "" if submitted else EXAMPLE[name]) for name in FIELDS}
    if submitted and not values["interpretation"]:
        values["interpretation"] = Profile.TREATY_TEXT.value
    decision: Decision | None = None
    asked = Asked(values)
    problem = None
    if submitted:
        asked = _parse(values, registry)
        if asked.request and asked.registry and asked.at and asked.interpretation:
            try:
                decision = decide(asked.request, asked.registry, asked.at, asked.interpretation)
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
