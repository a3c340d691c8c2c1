"""One agreement: its terms and equivalence table in force at a chosen instant, each version
of the terms its amendments made (R-AMD-1), events and the status bands they produce, with the
status, next anniversary and notice deadline at that instant; and the notes between the
parties with their state (in effect, proposed, rejected by whom, ignored); and the assurances
before hand-over on record under it (R-ACC-4, AT-16).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pactshare.api.auth import current_node
from pactshare.domain import Agreement, Band, Registry, bands, parse_instant, status_at
from pactshare.errors import InputError, PolicyError
from pactshare.node.assurances import list_assurances
from pactshare.node.laws import list_laws
from pactshare.node.local_policy import cap_history
from pactshare.node.notes import list_notes
from pactshare.web.network import STATUS_TEXT, short_name
from pactshare.web.rendering import not_found, page

__all__ = ["router"]

router = APIRouter()

BAR_WIDTH = 1000


@dataclass(frozen=True, slots=True)
class BandBar:
    band: Band
    x: float
    width: float


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str
    event_id: str


def _bars(
    life: tuple[Band, ...], agreement: Agreement, now: datetime
) -> tuple[list[BandBar], list[Tick]]:
    """Bands and events laid out on one horizontal axis, proportional to time."""
    if not life:
        return [], []
    start = life[0].start
    last = life[-1]
    end = max(last.end or now, last.start + timedelta(days=365))
    span = (end - start).total_seconds() or 1.0

    def x(at: datetime) -> float:
        return round((at - start).total_seconds() / span * BAR_WIDTH, 1)

    bars = [BandBar(b, x(b.start), max(1.0, x(b.end or end) - x(b.start))) for b in life]
    ticks = [Tick(x(e.at), e.kind.value.replace("_", " "), e.id) for e in agreement.events]
    return bars, ticks


def equivalence_rows(agreement: Agreement, registry: Registry) -> list[tuple[str, dict[str, str]]]:
    """Each row's label and, per party, its level names (national name, then English)."""
    rows = []
    for row in agreement.equivalence:
        cells = {}
        for code in agreement.parties:
            scheme = registry.parties[code].scheme
            levels = [scheme.find(level_id) for level_id in row.levels.get(code, ())]
            cells[code] = "; ".join(
                f"{level.name} ({level.english})" if level.english else level.name
                for level in levels
                if level is not None
            )
        rows.append((row.label, cells))
    return rows


@router.get("/agreements/{agreement_id}", response_class=HTMLResponse)
def agreement_page(request: Request, agreement_id: str) -> HTMLResponse:
    node = current_node(request)
    now = node.now()
    registry = node.prepared_now().registry
    agreement = registry.agreements.get(agreement_id)
    if agreement is None:
        return not_found(request, f"There is no agreement {agreement_id!r} on this node.")
    error = None
    at = now
    text = request.query_params.get("at", "")
    if text:
        try:
            at = parse_instant(text, what="at")
        except InputError as exc:
            error = str(exc)
    drop = request.query_params.get("drop_event", "")
    if drop:
        try:
            agreement = agreement.without_event(drop)
        except PolicyError as exc:  # no such event, or a later amendment needs it
            error = f"drop_event: {exc}"
    terms = agreement.as_of(at)
    report = status_at(agreement, at)
    other = status_at(agreement, at, report.interpretation.other_profile())
    life = bands(agreement)
    bars, ticks = _bars(life, agreement, now)
    context = {
        "agreement": agreement,
        "name": short_name(agreement),
        "parties": [registry.parties[code] for code in agreement.parties],
        "terms": terms,
        "equivalence": equivalence_rows(terms, registry),
        "versions": agreement.versions() if agreement.amended else (),
        "report": report,
        "other": other if other.status is not report.status else None,
        "at": at,
        "at_text": text,
        "drop": drop,
        "life": life,
        "bars": bars,
        "ticks": ticks,
        "bar_width": BAR_WIDTH,
        "status_text": STATUS_TEXT,
        "error": error,
        "notes": [r for r in list_notes(node, agreement.id) if r.origin == "note"],
        "cap_changes": cap_history(node, agreement.id),
        "laws": list_laws(node, agreement.id),
        "assurances": list_assurances(node, agreement.id),
    }
    return page(request, "agreement.html", context, status=400 if error else 200)
