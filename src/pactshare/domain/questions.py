"""A decision asked about, built from what a person or a tool gave.

``pactshare check``, ``POST /api/v1/decisions`` and the decision explorer all ask the same
question — may an item with these facts go from A to B — in their own syntax (options, JSON,
a form). Each maps its input to a :class:`Question`; :func:`build_request` checks it against
the registry, applies the what-if (events that had not happened), and gives the
:class:`~pactshare.domain.decision.Request` or every :class:`Problem`, each naming its field
so that the caller can say where (an option, a JSON key, beside a form field).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pactshare.domain.approvals import Approval, ApprovalKind
from pactshare.domain.decision import Request
from pactshare.domain.parties import normalise_party_code
from pactshare.domain.registry import Registry
from pactshare.errors import PolicyError

__all__ = ["Answerable", "AskedApproval", "Problem", "Question", "QuestionField", "build_request"]


class QuestionField(StrEnum):
    """The fields of a question, by their JSON and form names."""

    FROM = "from"
    TO = "to"
    HOLDER = "holder"
    CLASSIFICATION = "classification"
    TOPICS = "topics"
    RELEASABLE_TO = "releasable_to"
    DROP_EVENT = "drop_event"


@dataclass(frozen=True, slots=True)
class AskedApproval:
    """An originator's written approval on file, as asked about (the originator is the
    question's)."""

    kind: ApprovalKind
    subject: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Question:
    """The facts of an item and of the provision asked about, as given (party codes in any
    case); ``drop_events``: what if these events had not happened."""

    sender: str
    recipient: str
    classification: str
    topics: tuple[str, ...]
    holder: str | None = None
    purpose: str | None = None
    provided_for: str | None = None
    releasable_to: tuple[str, ...] = ()
    approvals: tuple[AskedApproval, ...] = ()
    received_under: str | None = None
    drop_events: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one field of a question."""

    field: QuestionField
    text: str


@dataclass(frozen=True, slots=True)
class Answerable:
    """The request (None while any problem stands) and the registry to decide it against:
    the one asked about, with the what-if applied."""

    request: Request | None
    registry: Registry
    problems: tuple[Problem, ...]


def build_request(question: Question, registry: Registry) -> Answerable:
    """Check ``question`` against ``registry`` and build its request, field by field."""
    problems: list[Problem] = []

    def party(text: str, field: QuestionField) -> str:
        code = normalise_party_code(text)
        if code not in registry.parties:
            known = ", ".join(sorted(registry.parties))
            problems.append(
                Problem(field, f"{text!r} is not a party of the agreements; known: {known}")
            )
        return code

    originator = party(question.sender, QuestionField.FROM)
    recipient = party(question.recipient, QuestionField.TO)
    holder = party(question.holder, QuestionField.HOLDER) if question.holder else None
    if originator == recipient == (holder or originator) and originator in registry.parties:
        text = f"{recipient} is both the originator and the recipient"
        problems.append(Problem(QuestionField.TO, text))
    if originator in registry.parties:
        try:
            registry.parties[originator].level(question.classification)
        except PolicyError as exc:
            problems.append(Problem(QuestionField.CLASSIFICATION, str(exc)))
    asked = registry
    try:
        asked = registry.without_events(question.drop_events)
    except PolicyError as exc:
        problems.append(Problem(QuestionField.DROP_EVENT, str(exc)))
    if not question.topics:
        text = "give at least one topic, e.g. dprk-missile/slbm"
        problems.append(Problem(QuestionField.TOPICS, text))
    try:
        asked.check_topics(question.topics)
    except PolicyError as exc:
        problems.append(Problem(QuestionField.TOPICS, str(exc)))
    releasable_to = tuple(
        party(code, QuestionField.RELEASABLE_TO) for code in question.releasable_to
    )
    if problems:
        return Answerable(None, asked, tuple(problems))
    request = Request(
        originator=originator,
        recipient=recipient,
        classification=question.classification,
        topics=question.topics,
        holder=holder,
        purpose=question.purpose,
        provided_for=question.provided_for,
        releasable_to=releasable_to,
        approvals=tuple(_approval(originator, given) for given in question.approvals),
        received_under=question.received_under,
    )
    return Answerable(request, asked, ())


def _approval(originator: str, given: AskedApproval) -> Approval:
    """A release approval names a party (any case); a purpose approval is taken as written."""
    release = given.kind is ApprovalKind.RELEASE
    subject = given.subject.upper() if release else given.subject
    return Approval(originator, given.kind, subject, given.recorded_at)
