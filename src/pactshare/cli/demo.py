"""``pactshare demo``: replay 2019 for GSOMIA and TISA, in history and without the suspension.

At each key instant it shows the agreement's status and what a KOR→JPN SECRET-equivalent
DPRK-missile item and a PRC-naval item would get, as it happened and had Seoul not suspended
its notice on 22 November 2019.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.domain import Decision, Outcome, Registry, Request, decide, parse_instant, status_at
from pactshare.scenarios import load_registry

GSOMIA = "gsomia-kor-jpn-2016"
SUSPENSION = "kor-suspension-2019"


@dataclass(frozen=True)
class Moment:
    at: str
    what: str


MOMENTS = (
    Moment("2016-11-22T12:00:00+09:00", "the day before GSOMIA: only TISA links Seoul and Tokyo"),
    Moment("2019-08-22T18:20:00+09:00", "Seoul announces it will end GSOMIA"),
    Moment("2019-08-23T16:00:00+09:00", "written notice of termination delivered"),
    Moment("2019-08-25T00:00:00+09:00", "the 90-day notice window closes"),
    Moment("2019-11-22T18:00:00+09:00", "Seoul suspends the effect of its notice"),
    Moment("2019-11-22T23:59:59+09:00", "one second before the scheduled expiry"),
    Moment("2019-11-23T00:00:00+09:00", "midnight KST: the scheduled expiry"),
    Moment("2023-03-21T09:00:00+09:00", "both 2019 notes withdrawn: normal again"),
)

ITEMS = (
    ("DPRK missile", Request("KOR", "JPN", "군사 II급 비밀", ("dprk-missile/slbm",))),
    ("PRC naval", Request("KOR", "JPN", "군사 II급 비밀", ("prc-naval",))),
)


def _cell(decision: Decision) -> str:
    if decision.outcome is Outcome.ALLOWED:
        return f"[green]allowed[/] ({decision.route[0].agreement})"
    if decision.outcome is Outcome.RELAY:
        return f"[yellow]relay via {decision.route[0].recipient}[/] ({decision.route[0].agreement})"
    return "[red]refused[/]"


def _row(registry: Registry, moment: Moment) -> dict[str, object]:
    at = parse_instant(moment.at, what="demo moment")
    status = status_at(registry.agreement(GSOMIA), at).status.value
    return {"status": status} | {
        name: decide(request, registry, at) for name, request in ITEMS
    }  # fmt: skip


@app.command("demo")
def demo(as_json: JsonOpt = False) -> None:
    """Replay the 2019 GSOMIA crisis: what could be shared, when, and by which route."""
    history = load_registry()
    counterfactual = history.with_agreement(history.agreement(GSOMIA).without_event(SUSPENSION))
    rows = [(m, _row(history, m), _row(counterfactual, m)) for m in MOMENTS]
    if as_json:
        print_json(
            [
                {
                    "at": moment.at,
                    "what": moment.what,
                    **{
                        label: {"status": row["status"]}
                        | {name: row[name].outcome.value for name, _ in ITEMS}  # type: ignore[attr-defined]
                        for label, row in (("history", real), ("without_suspension", what_if))
                    },
                }
                for moment, real, what_if in rows
            ]
        )
        return
    console.print(
        "[bold]The 2019 GSOMIA crisis, replayed[/]: may Seoul give Tokyo a SECRET item, and how?\n"
        "History beside the counterfactual in which Seoul never suspended its notice."
    )
    table = Table(header_style="bold", show_lines=True)
    table.add_column("instant (KST)")
    table.add_column("what happened")
    for label in ("history", "no suspension"):
        table.add_column(f"{label}: GSOMIA")
        for name, _ in ITEMS:
            table.add_column(f"{label}: {name}")
    for moment, real, what_if in rows:
        cells = [moment.at.replace("T", " ").removesuffix("+09:00"), moment.what]
        for row in (real, what_if):
            cells.append(str(row["status"]))
            cells.extend(_cell(row[name]) for name, _ in ITEMS)  # type: ignore[arg-type]
        table.add_row(*cells)
    console.print(table)
    console.print(
        "Try one yourself: pactshare check --from KOR --to JPN --classification '군사 II급 비밀' "
        "--topic dprk-missile --at 2019-11-23T00:00:00+09:00 --drop-event kor-suspension-2019"
    )
