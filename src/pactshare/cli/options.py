"""Options shared by several commands, and their parsing into domain values.

Every parse failure raises :class:`~pactshare.errors.InputError` naming the option.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from pactshare.domain import (
    ApprovalKind,
    Event,
    EventKind,
    Interpretation,
    LateNotice,
    Profile,
    Registry,
    parse_instant,
)
from pactshare.domain.questions import AskedApproval
from pactshare.errors import InputError, PactshareError, PolicyError
from pactshare.node.clock import real_now
from pactshare.scenarios import load_registry

__all__ = [
    "AddEventOpt",
    "AgreementsOpt",
    "AtOpt",
    "DropEventOpt",
    "InterpretationOpt",
    "JsonOpt",
    "LateNoticeOpt",
    "instant",
    "interpretation",
    "parse_approval",
    "registry_for",
    "what_if",
]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="INSTANT",
        help="Instant with UTC offset, e.g. 2019-11-22T23:59:59+09:00 (default: now).",
    ),
]
InterpretationOpt = Annotated[
    str,
    typer.Option(
        "--interpretation",
        help="Reading of a revived suspended notice (R-STATE-3): treaty-text or kr-anytime.",
    ),
]
LateNoticeOpt = Annotated[
    str,
    typer.Option(
        "--late-notice",
        help="What a notice after the deadline does (§5.1): roll-over or ineffective.",
    ),
]
DropEventOpt = Annotated[
    list[str] | None,
    typer.Option("--drop-event", help="What if this event (by id) had not happened. Repeatable."),
]
AddEventOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--add-event",
        help="What if this event had happened: [AGREEMENT@]KIND:PARTY:INSTANT. Repeatable.",
    ),
]
AgreementsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--agreements", metavar="DIR", help="A directory of extra party/agreement TOML files."
    ),
]


def instant(value: str | None, *, option: str = "--at") -> datetime:
    """The instant given, or now (the real time: no node is involved)."""
    if value is None:
        return real_now()
    return parse_instant(value, what=option)


def interpretation(profile: str, late_notice: str) -> Interpretation:
    try:
        return Interpretation(profile=Profile(profile), late_notice=LateNotice(late_notice))
    except ValueError as exc:
        if profile not in {p.value for p in Profile}:
            known = ", ".join(p.value for p in Profile)
            raise InputError(f"--interpretation: {profile!r} is not one of {known}") from exc
        known = ", ".join(n.value for n in LateNotice)
        raise InputError(f"--late-notice: {late_notice!r} is not one of {known}") from exc


def parse_approval(text: str) -> AskedApproval:
    """``KIND:SUBJECT:INSTANT``: e.g. ``release:USA:2019-01-01T00:00+09:00``."""
    kind, _, rest = text.partition(":")
    subject, _, when = rest.partition(":")
    try:
        approval_kind = ApprovalKind(kind)
    except ValueError as exc:
        raise InputError(
            f"--approval {text!r}: kind must be release or purpose (KIND:SUBJECT:INSTANT)"
        ) from exc
    if not subject or not when:
        raise InputError(f"--approval {text!r}: expected KIND:SUBJECT:INSTANT")
    return AskedApproval(approval_kind, subject, parse_instant(when, what=f"--approval {text!r}"))


def _parse_event(text: str, index: int) -> tuple[str | None, Event]:
    target, _, spec = text.rpartition("@") if "@" in text.split(":", 1)[0] else ("", "", text)
    kind, _, rest = spec.partition(":")
    party, _, when = rest.partition(":")
    try:
        event_kind = EventKind(kind)
    except ValueError as exc:
        known = ", ".join(k.value for k in EventKind)
        raise InputError(f"--add-event {text!r}: unknown kind {kind!r}; known: {known}") from exc
    if not when:
        raise InputError(f"--add-event {text!r}: expected KIND:PARTY:INSTANT")
    at = parse_instant(when, what=f"--add-event {text!r}")
    event = Event(
        f"added-{index}-{event_kind.value.replace('_', '-')}", event_kind, at, party.upper() or None
    )
    return target or None, event


def registry_for(
    directories: Sequence[Path] | None,
    *,
    drop_events: Sequence[str] | None = None,
    add_events: Sequence[str] | None = None,
    default_target: str | None = None,
) -> Registry:
    """Load the reference scenario plus ``directories`` and apply the what-if events."""
    return what_if(
        load_registry(list(directories or ())),
        drop_events=drop_events,
        add_events=add_events,
        default_target=default_target,
    )


def what_if(
    registry: Registry,
    *,
    drop_events: Sequence[str] | None = None,
    add_events: Sequence[str] | None = None,
    default_target: str | None = None,
) -> Registry:
    """The registry had these events not happened, or happened.

    A dropped event is found by id in whichever agreement holds it; an added event goes to
    ``AGREEMENT@`` when given, otherwise to ``default_target``.
    """
    try:
        registry = registry.without_events(drop_events or ())
    except PolicyError as exc:
        raise InputError(f"--drop-event: {exc}") from exc
    for index, text in enumerate(add_events or (), start=1):
        target, event = _parse_event(text, index)
        target = target or default_target
        if target is None:
            raise InputError(
                f"--add-event {text!r}: say which agreement, e.g. gsomia-kor-jpn-2016@{text}"
            )
        agreement = registry.agreement(target)
        if event.party is not None and event.party not in agreement.parties:
            raise InputError(f"--add-event {text!r}: {event.party} is not a party to {target}")
        try:
            registry = registry.with_agreement(agreement.with_event(event))
        except (ValueError, PactshareError) as exc:
            raise InputError(f"--add-event {text!r}: {exc}") from exc
    return registry
