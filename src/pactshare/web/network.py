"""The agreements network at an instant: parties as nodes, agreements as edges coloured (and
labelled) by their derived status, and what the two sample items would get.

Everything is computed server-side into a small view model; the template draws it as inline
SVG. A counterfactual drops Seoul's 2019 suspension from GSOMIA (``Agreement.without_event``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pactshare.api.auth import current_node
from pactshare.domain import (
    Agreement,
    AgreementKind,
    ContextEvent,
    Decision,
    Instrument,
    Outcome,
    Prepared,
    Registry,
    Status,
    decide,
    parse_instant,
    status_at,
)
from pactshare.errors import InputError
from pactshare.limits import check_instant
from pactshare.web.rendering import SEOUL, page
from pactshare.web.story import GSOMIA, MOMENTS, SAMPLES, SUSPENSION, Moment, Sample

__all__ = ["counterfactual", "router"]

router = APIRouter()

EPOCH = datetime(2014, 1, 1, tzinfo=SEOUL)  # the slider's day 0, midnight in Seoul
LAST_MOMENT = datetime(2024, 1, 1, tzinfo=SEOUL)  # the slider reaches at least past 2023
WIDTH, HEIGHT = 640, 430
CENTRE = (WIDTH / 2, 235)
RADIUS = 165
NODE_RADIUS = 36

STATUS_TEXT = {
    Status.NOT_IN_FORCE: "not in force",
    Status.IN_FORCE: "in force",
    Status.TERMINATION_PENDING: "notice given, still in force",
    Status.NOTICE_SUSPENDED: "notice suspended, in force",
    Status.TERMINATED: "terminated",
}


@dataclass(frozen=True, slots=True)
class PartyNode:
    code: str
    name: str
    x: float
    y: float

    @property
    def name_y(self) -> float:
        """Where the party's name goes: above a node at the top, below the others."""
        above = self.y < CENTRE[1]
        return round(self.y - NODE_RADIUS - 10 if above else self.y + NODE_RADIUS + 20, 1)


@dataclass(frozen=True, slots=True)
class Edge:
    """One agreement drawn as one or more SVG paths, with its status and a label position."""

    agreement: Agreement
    name: str
    status: Status
    status_text: str
    paths: tuple[str, ...]
    label_x: float
    label_y: float
    anchor: str  # SVG text-anchor of the label


@dataclass(frozen=True, slots=True)
class SampleResult:
    sample: Sample
    decision: Decision
    summary: str
    path: str | None  # the route drawn over the network, if any

    @property
    def parties(self) -> str:
        """The route as ``KOR>USA>JPN`` (a stable test hook)."""
        hops = self.decision.route
        return ">".join([hops[0].sender, *(hop.recipient for hop in hops)]) if hops else ""


def counterfactual(registry: Registry) -> Registry:
    """The registry had Seoul never suspended its 2019 notice."""
    return registry.with_agreement(registry.agreement(GSOMIA).without_event(SUSPENSION))


def short_name(agreement: Agreement) -> str:
    """``GSOMIA KOR–JPN (2016)``, ``TISA via USA (2014)``: the id made readable."""
    head, *_, tail = agreement.id.split("-")
    year = f" ({tail})" if tail.isdigit() else ""
    if agreement.kind is AgreementKind.HUB:
        return f"{head.upper()} via {agreement.hub}{year}"
    return f"{head.upper()} {'–'.join(agreement.parties)}{year}"


def _layout(registry: Registry) -> dict[str, PartyNode]:
    hubs = {a.hub for a in registry.agreements.values() if a.hub}
    order = sorted(registry.parties, key=lambda code: (code not in hubs, code))
    cx, cy = CENTRE
    nodes = {}
    for index, code in enumerate(order):
        angle = -math.pi / 2 + 2 * math.pi * index / len(order)
        x, y = cx + RADIUS * math.cos(angle), cy + RADIUS * math.sin(angle)
        nodes[code] = PartyNode(code, registry.parties[code].name, round(x, 1), round(y, 1))
    return nodes


def _bulge(a: PartyNode, b: PartyNode, amount: float) -> tuple[float, float]:
    """The control point of a curve from ``a`` to ``b``, pushed away from the centre."""
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
    dx, dy = mx - CENTRE[0], my - CENTRE[1]
    length = math.hypot(dx, dy) or 1.0
    return round(mx + dx / length * amount, 1), round(my + dy / length * amount, 1)


def _curve(a: PartyNode, b: PartyNode, amount: float) -> str:
    qx, qy = _bulge(a, b, amount)
    return f"M {a.x} {a.y} Q {qx} {qy} {b.x} {b.y}"


def _outward(x: float, y: float, amount: float) -> tuple[float, float]:
    """A point ``amount`` further from the centre than ``(x, y)``."""
    dx, dy = x - CENTRE[0], y - CENTRE[1]
    length = math.hypot(dx, dy) or 1.0
    return x + dx / length * amount, y + dy / length * amount


def _anchor(x: float) -> str:
    if x < CENTRE[0] - 5:
        return "end"
    return "start" if x > CENTRE[0] + 5 else "middle"


def _edges(registry: Registry, nodes: dict[str, PartyNode], at: datetime) -> list[Edge]:
    edges = []
    for agreement in registry.agreements.values():
        status = status_at(agreement, at).status
        if agreement.kind is AgreementKind.BILATERAL:
            a, b = (nodes[p] for p in agreement.parties)
            paths: tuple[str, ...] = (f"M {a.x} {a.y} L {b.x} {b.y}",)
            # Sloped edges: labelled outside the hub's curves, so that neighbours never collide;
            # a level edge: labelled inside, clear of the party names below it.
            level = abs(a.y - b.y) < 1
            lx, ly = _outward((a.x + b.x) / 2, (a.y + b.y) / 2, -44 if level else 62)
        else:
            hub = nodes[str(agreement.hub)]
            spokes = [nodes[p] for p in agreement.parties if p != agreement.hub]
            paths = tuple(_curve(member, hub, 46) for member in spokes)
            lx, ly = hub.x + NODE_RADIUS + 14, hub.y - 6
        edges.append(
            Edge(agreement, short_name(agreement), status, STATUS_TEXT[status], paths,
                 round(lx, 1), round(ly, 1), _anchor(lx))
        )  # fmt: skip
    return edges


def _short_of(x: float, y: float, towards: tuple[float, float], gap: float) -> tuple[float, float]:
    """The point ``gap`` before ``(x, y)`` coming from ``towards``: an arrow stops at the node."""
    dx, dy = x - towards[0], y - towards[1]
    length = math.hypot(dx, dy) or 1.0
    return round(x - dx / length * gap, 1), round(y - dy / length * gap, 1)


def _route_path(decision: Decision, nodes: dict[str, PartyNode]) -> str | None:
    """The route as one SVG path whose last hop ends at the recipient's rim (for the arrow)."""
    if not decision.route:
        return None
    parts = []
    gap = NODE_RADIUS + 4
    for index, hop in enumerate(decision.route):
        a, b = nodes[hop.sender], nodes[hop.recipient]
        last = index == len(decision.route) - 1
        if decision.outcome is Outcome.ALLOWED:
            ex, ey = _short_of(b.x, b.y, (a.x, a.y), gap) if last else (b.x, b.y)
            parts.append(f"M {a.x} {a.y} L {ex} {ey}")
        else:
            qx, qy = _bulge(a, b, 46)
            ex, ey = _short_of(b.x, b.y, (qx, qy), gap) if last else (b.x, b.y)
            parts.append(f"M {a.x} {a.y} Q {qx} {qy} {ex} {ey}")
    return " ".join(parts)


def _summary(decision: Decision) -> str:
    if decision.outcome is Outcome.ALLOWED:
        return f"direct, under {decision.route[0].agreement}"
    if decision.outcome is Outcome.RELAY:
        hub = decision.route[0].recipient
        return f"relay via {hub}, under {decision.route[0].agreement}"
    return "refused"


@dataclass(frozen=True, slots=True)
class ContextRow:
    instrument: Instrument
    event: ContextEvent


def context_events(registry: Registry) -> list[ContextRow]:
    """Every event of the registry's context instruments, oldest first."""
    rows = [ContextRow(i, e) for i in registry.instruments.values() for e in i.events]
    return sorted(rows, key=lambda row: (row.event.at, row.instrument.id))


def _day(at: datetime) -> int:
    return (at.astimezone(SEOUL) - EPOCH).days


def _instant(request: Request, now: datetime) -> datetime:
    """The instant asked for: a key moment's ``at``; else the slider's ``day`` (the ``exact``
    instant shown before, if the slider still points at its day); else now."""
    query = request.query_params
    if query.get("at"):
        return parse_instant(query["at"], what="at")
    if query.get("day"):
        try:
            day = int(query["day"])
            shown = parse_instant(query["exact"], what="exact") if query.get("exact") else None
            if shown is not None and _day(shown) == day:
                return shown
            return check_instant(EPOCH + timedelta(days=day), what="day")
        except (ValueError, OverflowError) as exc:
            raise InputError(f"day: {query['day']!r} is not a whole number of days") from exc
    return now


@router.get("/", response_class=HTMLResponse, summary="The agreements network at an instant")
def network(request: Request) -> HTMLResponse:
    node = current_node(request)
    now = node.now()
    held = node.prepared_now()
    history = held.registry
    error = None
    try:
        at = _instant(request, now)
    except InputError as exc:
        error, at = str(exc), now
    without = request.query_params.get("without_suspension") == "1" and GSOMIA in history.agreements
    against = Prepared(counterfactual(history)) if without else held
    registry = against.registry
    nodes = _layout(registry)
    edges = _edges(registry, nodes, at)
    samples = []
    if {"KOR", "JPN"} <= set(registry.parties):
        for sample in SAMPLES:
            decision = decide(sample.request, against, at)
            samples.append(
                SampleResult(sample, decision, _summary(decision), _route_path(decision, nodes))
            )
    gsomia = {
        label: status_at(world.agreement(GSOMIA), at)
        for label, world in (("history", history), ("without", counterfactual(history)))
        if GSOMIA in world.agreements
    }
    last = max(now, LAST_MOMENT)
    moment: Moment | None = next((m for m in MOMENTS if m.at == at), None)
    since: Moment | None = next((m for m in reversed(MOMENTS) if m.at < at), None)
    context = {
        "at": at,
        "day": max(0, _day(at)),
        "max_day": (last - EPOCH).days,
        "without": without,
        "nodes": list(nodes.values()),
        "edges": edges,
        "samples": samples,
        "moments": MOMENTS,
        "moment": moment,
        "since": since,
        "gsomia": gsomia,
        "status_text": STATUS_TEXT,
        "width": WIDTH,
        "height": HEIGHT,
        "node_radius": NODE_RADIUS,
        "error": error,
        "context_events": context_events(history),
    }
    return page(request, "network.html", context, status=400 if error else 200)
