"""The 2019 sequence, replayed for real across three nodes with a simulated clock.

Each step moves the shared clock, acts on a node as its officer would (register, provide,
grant consent, report an incident) and lets the federation deliver. What a step shows is
what the nodes recorded: the sender's decision, the route, and the receiver's marking.
Beside each KOR→JPN step stands the counterfactual decision: the same request had Seoul
never suspended its notice on 22 November 2019.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pactshare.demo.world import World
from pactshare.domain import Outcome, Registry, Request, decide, parse_instant
from pactshare.errors import NodeError, NotFoundError, RefusedError
from pactshare.federation.delivery import deliver_due
from pactshare.federation.relay import relay_due
from pactshare.federation.storage import OutboxState, outbox_entries
from pactshare.federation.witness import queue_round
from pactshare.node import auditing
from pactshare.node.assurances import ASSURANCE, give_assurance
from pactshare.node.clock import monotonic
from pactshare.node.consents import grant_consent
from pactshare.node.holdings import inbox
from pactshare.node.incidents import report_incident
from pactshare.node.items import get_item, register
from pactshare.node.provision import provide
from pactshare.scenarios import load_registry

__all__ = ["GSOMIA", "SUSPENSION", "Step", "replay"]

GSOMIA = "gsomia-kor-jpn-2016"
SUSPENSION = "kor-suspension-2019"
CLASS_II = "군사 II급 비밀"  # Class II: SECRET-equivalent


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the story: when, what happened, what the nodes did, had-it-lapsed."""

    at: str
    what: str
    outcome: str  # allowed | relay | refused | assured | notified
    route: str  # e.g. "KOR → USA → JPN (tisa-2014)"
    result: str  # what the receiver recorded, or why it was refused
    without_suspension: str | None  # the counterfactual outcome, where it differs in kind

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "what": self.what,
            "outcome": self.outcome,
            "route": self.route,
            "result": self.result,
            "without_suspension": self.without_suspension,
        }


def _label(world: World, name: str, *, policy: str, topics: list[str], to: list[str]) -> Path:
    path = world.root / "labels" / f"{name}.toml"
    path.parent.mkdir(exist_ok=True)
    listed = ", ".join(f'"{t}"' for t in topics)
    releasable = ", ".join(f'"{p}"' for p in to)
    path.write_text(
        f'policy = "{policy}"\noriginator = "KOR"\nclassification = "{CLASS_II}"\n'
        f"topics = [{listed}]\nreleasable_to = [{releasable}]\n",
        encoding="utf-8",
    )
    return path


def _item(world: World, name: str, text: str, **label: Any) -> str:
    payload = world.root / "items" / f"{name}.txt"
    payload.parent.mkdir(exist_ok=True)
    payload.write_text(text, encoding="utf-8")
    return register(world.nodes["KOR"], payload, _label(world, name, **label))


def _pending(world: World) -> int:
    return sum(len(outbox_entries(node)) for node in world.nodes.values())


def settle(world: World, *, within: float = 30.0) -> None:
    """Relay and deliver on every node until nothing is left to send.

    The nodes' own delivery workers run too; a pass here only makes the story move at once.
    """
    deadline = monotonic() + within
    while monotonic() < deadline:
        moved = 0
        for node in world.nodes.values():
            moved += len(relay_due(node)) + len(deliver_due(node).delivered)
        if moved == 0 and _pending(world) == 0:
            return
        time.sleep(0.02)
    raise NodeError(f"the demo's deliveries did not settle within {within:.0f} s")


def _route(decision: dict[str, Any]) -> str:
    hops = decision["route"]
    if not hops:
        return "—"
    parties = " → ".join([hops[0]["from"], *(hop["to"] for hop in hops)])
    agreements = ", ".join(dict.fromkeys(hop["agreement"] for hop in hops))
    return f"{parties} ({agreements})"


def _marking_at(world: World, party: str, item_id: str) -> str | None:
    try:
        return get_item(world.nodes[party], item_id).marking
    except NotFoundError:
        return None


def _counterfactual(registry: Registry, when: str) -> str:
    request = Request("KOR", "JPN", CLASS_II, ("dprk-missile",))
    decision = decide(request, registry, parse_instant(when, what="demo instant"))
    if decision.outcome is Outcome.RELAY:
        return f"relay via {decision.route[0].recipient} only"
    return decision.outcome.value


def _held(world: World, party: str, item_id: str) -> str:
    marking = _marking_at(world, party, item_id)
    return f"{party} holds it, marked {marking}" if marking else f"not delivered to {party}"


def _tisa_asked(world: World) -> tuple[Step, str]:
    """2016: no GSOMIA yet; Seoul's assessment reaches Tokyo only through Washington."""
    first = world.clock.move_to("2016-09-09T14:00:00+09:00")
    item = _item(
        world,
        "dprk-nuclear-test-2016",
        "Assessment of the 9 September 2016 nuclear test",
        policy="tisa-2014",
        topics=["dprk-nuclear"],
        to=["USA", "JPN"],
    )
    provision = provide(world.nodes["KOR"], item, "JPN", package=None)
    settle(world)
    asked = Step(
        first.isoformat(),
        "North Korea's fifth nuclear test. No GSOMIA yet: Seoul sends its assessment for "
        "Tokyo to Washington, the TISA hub",
        provision.decision["outcome"],
        _route(provision.decision),
        _held(world, "USA", item) + "; USA asks Seoul's consent to pass it on (R-TISA-6)",
        None,
    )
    return asked, item


def _tisa_relayed(world: World, item: str) -> Step:
    """Seoul's written consent on file, the hub relays to Tokyo."""
    second = world.clock.move_to("2016-09-09T14:30:00+09:00")
    grant_consent(world.nodes["KOR"], item, release_to="JPN", for_holder="USA")
    settle(world)
    world.clock.move_to("2016-09-09T14:35:00+09:00")  # the release comes after the filing
    settle(world)
    return Step(
        second.isoformat(),
        "Seoul consents in writing; the hub relays to Tokyo, marked at Tokyo's equivalent",
        "relay",
        "USA → JPN (tisa-2014)",
        _held(world, "JPN", item),
        None,
    )


def _refused_relay(world: World) -> Step:
    when = world.clock.move_to("2016-09-09T15:00:00+09:00")
    item = _item(
        world,
        "prc-naval-2016",
        "PLA Navy movements in the Yellow Sea",
        policy="tisa-2014",
        topics=["prc-naval"],
        to=["USA", "JPN"],
    )
    try:
        provide(world.nodes["KOR"], item, "JPN", package=None)
    except RefusedError as refused:
        scope = [r for r in refused.reasons if r.startswith("R-TISA-2")]  # the telling one
        reason = (scope or list(refused.reasons) or [str(refused)])[0]
        return Step(
            when.isoformat(),
            "Seoul tries to send Tokyo a PRC-naval item through the hub",
            "refused",
            "—",
            reason,
            None,
        )
    raise AssertionError("the reference scenario must refuse a PRC-naval relay")


def _unassured(world: World) -> Step:
    """2019: GSOMIA in force, but Tokyo has not yet assured Seoul (AT-16)."""
    when = world.clock.move_to("2019-07-01T09:00:00+09:00")
    item = _item(
        world,
        "dprk-missile-unassured",
        "DPRK missile telemetry, before Tokyo's assurance",
        policy=GSOMIA,
        topics=["dprk-missile"],
        to=["JPN"],
    )
    try:
        provide(world.nodes["KOR"], item, "JPN", package=None)
    except RefusedError as refused:
        [reason] = [r for r in refused.reasons if r.startswith("R-ACC-4")]
        return Step(
            when.isoformat(),
            "Seoul tries a hand-over under GSOMIA before Tokyo's assurance is on record",
            "refused",
            "—",
            reason.split(":", 1)[0] + ": no assurance from JPN on record (Art. 7(5), AT-16)",
            None,
        )
    raise AssertionError("the reference scenario must wait for Tokyo's assurance (AT-16)")


def _assured(world: World) -> Step:
    """Tokyo's Ministry of Defense assures Seoul before the hand-overs (R-ACC-4, Art. 7(5))."""
    when = world.clock.move_to("2019-07-01T09:30:00+09:00")
    give_assurance(
        world.nodes["JPN"],
        to="KOR",
        agreement_id=GSOMIA,
        authority="jpn-mod",
        recipient="JPN MOD Defense Intelligence Headquarters",
        level="極秘",
        topics=["dprk-missile"],
        purpose="DPRK missile warning",
        days=366,
    )
    settle(world)
    return Step(
        when.isoformat(),
        "Tokyo assures Seoul: its recipient is cleared to 極秘, needs DPRK-missile "
        "information officially, and gives it protection equivalent to Seoul's",
        "assured",
        "JPN → KOR",
        _acknowledged(world, "JPN", ASSURANCE, done="has it on record (R-ACC-4)"),
        None,
    )


DIRECT = (
    ("2019-07-01T10:00:00+09:00", "GSOMIA renewed in 2016, 2017, 2018: Seoul shares directly"),
    ("2019-09-15T10:00:00+09:00", "Seoul has given notice (23 Aug); GSOMIA still in force"),
    ("2019-11-22T23:59:59+09:00", "One second before the scheduled expiry"),
    ("2019-11-23T00:00:00+09:00", "Midnight: Seoul suspended its notice at 18:00 the day before"),
)


def _direct(world: World, when: str, what: str, counterfactual: Registry, n: int) -> Step:
    world.clock.move_to(when)
    item = _item(
        world,
        f"dprk-missile-{n}",
        f"DPRK missile telemetry, report {n}",
        policy=GSOMIA,
        topics=["dprk-missile"],
        to=["JPN"],
    )
    provision = provide(world.nodes["KOR"], item, "JPN", package=None)
    settle(world)
    return Step(
        when,
        what,
        provision.decision["outcome"],
        _route(provision.decision),
        _held(world, "JPN", item),
        _counterfactual(counterfactual, when),
    )


def _incident(world: World, item_id: str) -> Step:
    when = world.clock.move_to("2019-12-02T10:00:00+09:00")
    report_incident(
        world.nodes["JPN"], item_id, summary="a courier's bag with a printed copy went missing"
    )
    settle(world)
    return Step(
        when.isoformat(),
        "Tokyo suspects a loss of a KOR item and tells Seoul at once (R-INC-1)",
        "notified",
        "JPN → KOR",
        _acknowledged(world, "JPN", "incident"),
        None,
    )


def _acknowledged(
    world: World, sender: str, kind: str, *, done: str = "notified before anything is confirmed"
) -> str:
    """What became of the latest ``kind`` message ``sender`` sent: ``done`` by its recipient,
    with its signed receipt, or why not."""
    sent = outbox_entries(world.nodes[sender], pending_only=False)
    row = [entry for entry in sent if entry.kind == kind][-1]  # the latest
    if row.state is not OutboxState.DELIVERED:
        return f"not delivered to {row.recipient} ({row.state})"
    return f"{row.recipient} {done}; its signed receipt is on file"


def replay(world: World, on_step: Callable[[Step], None] = lambda _step: None) -> list[Step]:
    """Play the story on the world's nodes; return what happened, step by step, and tell
    ``on_step`` about each step as soon as the nodes have recorded it."""
    history = load_registry()
    counterfactual = history.with_agreement(history.agreement(GSOMIA).without_event(SUSPENSION))
    steps: list[Step] = []

    def told(*done: Step) -> None:
        for step in done:
            steps.append(step)
            on_step(step)

    asked, item = _tisa_asked(world)
    told(asked)
    told(_tisa_relayed(world, item))
    told(_refused_relay(world))
    told(_unassured(world), _assured(world))
    for n, (when, what) in enumerate(DIRECT, start=1):
        told(_direct(world, when, what, counterfactual, n))
    last = _last_item(world)
    told(_incident(world, last))
    for _ in range(2):  # cosign each other's heads, then compare what each witnessed
        for node in world.nodes.values():
            queue_round(node)
        settle(world)
    for node in world.nodes.values():
        auditing.sign_head(node)
    return steps


def _last_item(world: World) -> str:
    """The item Tokyo recorded last."""
    return inbox(world.nodes["JPN"], received_only=False)[-1].item_id
