"""``pactshare verify-agreements``: properties of the registry proved for every instant and
request, with an SMT solver (the ``proofs`` extra).

Exit 0 when every property is proved, 1 when one has a counterexample, 2 on bad input (an
agreement file, or the extra not installed).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pactshare.cli.main import EXIT_OK, EXIT_REFUSED, app
from pactshare.cli.options import AgreementsOpt, JsonOpt, registry_for
from pactshare.cli.render import console, print_json
from pactshare.domain.wire import decision_json
from pactshare.limits import EARLIEST, LATEST

if TYPE_CHECKING:
    from pactshare.proofs.properties import Counterexample, Verdict

PROVES = (
    "the translation of the registry's rules into SMT formulas (z3), which the differential "
    "tests tie to the decision engine; each counterexample is decided again by the engine"
)


def check_command(found: Counterexample, directories: Sequence[Path]) -> list[str]:
    """The ``pactshare check`` that asks the engine the counterexample's question."""
    request = found.request
    words = ["pactshare", "check", "--from", request.originator, "--to", request.recipient]
    words += ["--classification", request.classification]
    for topic in request.topics:
        words += ["--topic", topic]
    words += ["--at", found.at.isoformat()]
    if request.holder is not None:
        words += ["--holder", request.holder]
    for party in request.releasable_to:
        words += ["--releasable-to", party]
    for approval in request.approvals:
        when = approval.recorded_at.isoformat()
        words += ["--approval", f"{approval.kind.value}:{approval.subject}:{when}"]
    if found.without_event is not None:
        words += ["--drop-event", found.without_event]
    reading = found.interpretation
    words += ["--interpretation", reading.profile.value, "--late-notice", reading.late_notice.value]
    for directory in directories:
        words += ["--agreements", str(directory)]
    return words


def _counterexample_json(found: Counterexample, directories: Sequence[Path]) -> dict[str, Any]:
    request = found.request
    return {
        "interpretation": {
            "profile": found.interpretation.profile.value,
            "late_notice": found.interpretation.late_notice.value,
        },
        "without_event": found.without_event,
        "at": found.at.isoformat(),
        "request": {
            "from": request.originator,
            "holder": request.holder or request.originator,
            "to": request.recipient,
            "classification": request.classification,
            "topics": list(request.topics),
            "releasable_to": list(request.releasable_to),
            "approvals": [
                {
                    "kind": approval.kind.value,
                    "subject": approval.subject,
                    "recorded_at": approval.recorded_at.isoformat(),
                }
                for approval in request.approvals
            ],
        },
        "about": found.subject,
        "route": [
            {
                "from": hop.sender,
                "to": hop.recipient,
                "agreement": hop.agreement,
                "level": hop.level,
            }
            for hop in found.route
        ],
        "check": shlex.join(check_command(found, directories)),
        "decide": {"agrees": found.confirmed, "decision": decision_json(found.decision)},
    }


def _verdict_json(verdict: Verdict, directories: Sequence[Path]) -> dict[str, Any]:
    prop, found = verdict.claim, verdict.counterexample
    return {
        "id": prop.id,
        "rules": list(prop.rules),
        "statement": prop.statement,
        "proved": verdict.proved,
        "checked": verdict.checked,
        "counterexample": None if found is None else _counterexample_json(found, directories),
    }


def _print_verdict(verdict: Verdict, directories: Sequence[Path]) -> None:
    prop, found = verdict.claim, verdict.counterexample
    rules = ", ".join(prop.rules)
    if found is None:
        extent = (
            f"{verdict.checked} formulas"
            if verdict.checked
            else "vacuously: nothing in this registry to check it on"
        )
        console.print(f"[bold green]PROVED[/] {prop.id} ({rules}) — {extent}")
        console.print(f"  {prop.statement}")
        return
    console.print(f"[bold red]COUNTEREXAMPLE[/] {prop.id} ({rules})")
    console.print(f"  {prop.statement}")
    request = found.request
    holder = f", held by {request.holder}" if request.holder else ""
    reading = found.interpretation
    what_if = f", had {found.without_event} not happened" if found.without_event else ""
    console.print(
        f"  at {found.at.isoformat()} ({reading.profile.value}, {reading.late_notice.value}"
        f"{what_if}): {request.originator} {request.classification} on "
        f"{', '.join(request.topics)}{holder}, to {request.recipient}"
    )
    hops = " ; ".join(
        f"{hop.sender} → {hop.recipient} under {hop.agreement} marked {hop.level}"
        for hop in found.route
    )
    console.print(f"  route ({found.subject}): {hops}")
    verdict_text = "agrees" if found.confirmed else "[bold red]DISAGREES (a translation bug)[/]"
    console.print(f"  decide {verdict_text}: {found.decision.outcome.value}")
    console.print(f"  ask it: {shlex.join(check_command(found, directories))}", soft_wrap=True)


@app.command("verify-agreements")
def verify_agreements(agreements: AgreementsOpt = None, as_json: JsonOpt = False) -> None:
    """Prove properties of the agreements for every instant and request (the proofs extra).

    Each property is printed as proved, or with a counterexample: an instant and a request,
    decided again by the engine, and the `pactshare check` that asks it. What is proved is
    the translation of the rules into SMT formulas, which the differential tests tie to the
    decision engine. Exit 0 when all are proved, 1 on a counterexample, 2 on bad input.
    """
    from pactshare.proofs import verify  # noqa: PLC0415 - loaded when used

    directories = list(agreements or ())
    registry = registry_for(directories)
    verdicts = verify(registry)  # says which extra to install when z3 is missing
    from pactshare.proofs.properties import INTERPRETATIONS  # noqa: PLC0415 - z3 is there

    proved = all(verdict.proved for verdict in verdicts)
    if as_json:
        print_json(
            {
                "proves": PROVES,
                "instants": {"from": EARLIEST.isoformat(), "until": LATEST.isoformat()},
                "interpretations": [
                    {"profile": reading.profile.value, "late_notice": reading.late_notice.value}
                    for reading in INTERPRETATIONS
                ],
                "proved": proved,
                "properties": [_verdict_json(verdict, directories) for verdict in verdicts],
            }
        )
    else:
        console.print(f"What is proved: {PROVES}.")
        console.print(
            f"Over every instant from {EARLIEST.isoformat()} until {LATEST.isoformat()}, every "
            f"request and {len(INTERPRETATIONS)} readings of the uncertain rules."
        )
        for verdict in verdicts:
            _print_verdict(verdict, directories)
    raise typer.Exit(EXIT_OK if proved else EXIT_REFUSED)
