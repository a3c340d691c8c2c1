"""The JSON form of decisions, statuses and agreements (pure; used by the CLI, the node and
the API). The shapes are a contract: ``decision_json`` has outcome, route[from, to, agreement,
marking], reasons[rule, text], alternatives; ``status_json`` has status, terminates_at,
next_anniversary, notice_deadline. Fields may be added, never renamed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pactshare.domain.agreements import Agreement, Amendment, EquivalenceRow
from pactshare.domain.decision import Consent, Decision, Hop, Reason, Route
from pactshare.domain.lifecycle import StatusReport
from pactshare.domain.timeline import Band

__all__ = [
    "agreement_json",
    "amendment_json",
    "band_json",
    "decision_json",
    "iso",
    "status_json",
]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, or None."""
    return value.isoformat() if value is not None else None


def _hop(hop: Hop) -> dict[str, Any]:
    return {
        "from": hop.sender,
        "to": hop.recipient,
        "agreement": hop.agreement,
        "marking": hop.marking.text,
        "marking_detail": {
            "originator": hop.marking.originator,
            "party": hop.marking.party,
            "level": hop.marking.level,
            "name": hop.marking.name,
            "equivalent": hop.marking.equivalent,
        },
        "protected_under": hop.protected_under,
    }


def _reason(reason: Reason) -> dict[str, str]:
    return {
        "rule": reason.rule,
        "text": reason.text,
        "effect": reason.effect.value,
        "citation": reason.citation,
    }


def _consents(consents: tuple[Consent, ...]) -> list[dict[str, Any]]:
    return [
        {"originator": c.originator, "hub": c.hub, "release_to": c.release_to,
         "rule": c.rule, "on_file": c.on_file}
        for c in consents
    ]  # fmt: skip


def _route(route: Route) -> dict[str, Any]:
    return {
        "kind": route.kind.value,
        "summary": route.summary,
        "route": [_hop(hop) for hop in route.hops],
        "consents": _consents(route.consents),
    }


def decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "outcome": decision.outcome.value,
        "at": decision.at.isoformat(),
        "interpretation": decision.interpretation.profile.value,
        "route": [_hop(hop) for hop in decision.route],
        "consents": _consents(decision.consents),
        "reasons": [_reason(reason) for reason in decision.reasons],
        "alternatives": [_route(route) for route in decision.alternatives],
        "conflict": decision.conflict,
    }


def status_json(report: StatusReport, other: StatusReport | None = None) -> dict[str, Any]:
    """A status report; ``other`` is the same instant under the other profile (R-STATE-3)."""
    term = report.term
    payload: dict[str, Any] = {
        "agreement": report.agreement_id,
        "at": report.at.isoformat(),
        "interpretation": report.interpretation.profile.value,
        "status": report.status.value,
        "terminates_at": iso(report.terminates_at),
        "next_anniversary": iso(report.next_anniversary),
        "notice_deadline": iso(report.notice_deadline),
        "earliest_termination": iso(report.earliest_termination),
        "term": (
            {"number": term.number, "start": term.start.isoformat(), "end": term.end.isoformat()}
            if term
            else None
        ),
        "applied_events": list(report.applied_events),
        "notes": [{"rule": note.rule, "text": note.text} for note in report.notes],
        "conflict": None,
    }
    if other is not None and other.status is not report.status:
        payload["conflict"] = {
            "interpretation": other.interpretation.profile.value,
            "status": other.status.value,
            "terminates_at": iso(other.terminates_at),
        }
    return payload


def band_json(band: Band) -> dict[str, Any]:
    return {"status": band.status.value, "start": band.start.isoformat(), "end": iso(band.end)}


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    terms = agreement.terms
    return {
        "id": agreement.id,
        "title": agreement.title,
        "kind": agreement.kind.value,
        "parties": list(agreement.parties),
        "hub": agreement.hub,
        "binding": agreement.binding,
        "scope": list(agreement.scope),
        "terms": {
            "timezone": terms.timezone,
            "term_years": terms.term_years,
            "auto_renew": terms.auto_renew,
            "notice_days": terms.notice_days,
        },
        "third_party_release_needs_approval": agreement.third_party_release_needs_approval,
        "purpose_change_needs_approval": agreement.purpose_change_needs_approval,
        "relay_needs_originator_consent": agreement.relay_needs_originator_consent,
        "assurance_before_provision": agreement.assurance_before_provision,
        "protection_from": list(agreement.protection_from),
        "classification_cap": agreement.classification_cap,
        "articles": dict(agreement.articles),
        "equivalence": [
            {"label": row.label, "levels": {p: list(ids) for p, ids in row.levels.items()}}
            for row in agreement.equivalence
        ],
        "events": [
            {"id": e.id, "kind": e.kind.value, "party": e.party, "at": e.at.isoformat(),
             "source": e.source,
             "amendment": amendment_json(e.amendment) if e.amendment else None}
            for e in agreement.events
        ],
    }  # fmt: skip


def _row(row: EquivalenceRow) -> dict[str, Any]:
    return {"label": row.label, **{party: list(ids) for party, ids in row.levels.items()}}


def amendment_json(change: Amendment) -> dict[str, Any]:
    """An amendment's terms (R-AMD-1) in the shape of an agreement file's
    ``[agreement.events.amendment]`` table: only the terms it changes."""
    values: dict[str, Any] = {
        "equivalence": None
        if change.equivalence is None
        else [_row(r) for r in change.equivalence],
        "scope": None if change.scope is None else list(change.scope),
        "classification_cap": change.classification_cap,
        "term_years": change.term_years,
        "notice_days": change.notice_days,
    }
    return {key: value for key, value in values.items() if value is not None}
