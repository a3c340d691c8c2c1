"""``pactshare contractor add|inspect|staff|custodian|handover|list``: contractor facilities
of the node's party (R-CON-1). Every act is an admin's or security officer's (``--as``), audited."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from pactshare.cli.main import app
from pactshare.cli.nodes import ActorOpt, HomeOpt, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.domain import parse_instant
from pactshare.errors import InputError

if TYPE_CHECKING:
    from pactshare.node.contractors import Contractor

group = typer.Typer(help="Contractor facilities of the node's party (R-CON-1).")
app.add_typer(group, name="contractor")

IdArg = Annotated[str, typer.Argument(help="The contractor's id, e.g. hanwha-daejeon.")]


def _show(contractor: Contractor, as_json: bool) -> None:
    if as_json:
        print_json(asdict(contractor))
        return
    due = contractor.next_due.isoformat() if contractor.next_due else "no inspection yet"
    console.print(
        f"{contractor.id}: {contractor.name}, {contractor.facility}; custodian "
        f"{contractor.custodian or 'none'}; next inspection due {due}"
    )


@group.command("add")
def add(
    contractor_id: IdArg,
    name: Annotated[str, typer.Option("--name", help="The contractor's name.")],
    facility: Annotated[str, typer.Option("--facility", help="The facility (address).")],
    protects: Annotated[
        bool, typer.Option("--protects/--cannot-protect", help="(b) able to protect CMI.")
    ] = False,
    registry: Annotated[
        bool, typer.Option("--registry/--no-registry", help="(i) keeps an access registry.")
    ] = False,
    custodian: Annotated[
        str | None, typer.Option("--custodian", help="(j) the designated custodian.")
    ] = None,
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a contractor facility of the node's party."""
    from pactshare.node.contractors import add_contractor  # noqa: PLC0415 - loaded when used

    added = add_contractor(
        open_node(home), contractor_id, name=name, facility=facility, protects=protects,
        registry=registry, custodian=custodian, by=by,
    )  # fmt: skip
    _show(added, as_json)


@group.command("inspect")
def inspect_command(
    contractor_id: IdArg,
    next_due: Annotated[
        str, typer.Option("--next-due", metavar="INSTANT", help="When the next one is due.")
    ],
    initial: Annotated[
        bool, typer.Option("--initial/--periodic", help="The initial or a periodic inspection.")
    ] = False,
    passed: Annotated[bool, typer.Option("--passed/--failed", help="Its result.")] = True,
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a security inspection of the facility (R-CON-1 (g))."""
    from pactshare.node.contractors import inspect  # noqa: PLC0415 - loaded when used

    due = parse_instant(next_due, what="--next-due")
    node = open_node(home)
    _show(
        inspect(node, contractor_id, initial=initial, passed=passed, next_due=due, by=by), as_json
    )


@group.command("staff")
def staff(
    contractor_id: IdArg,
    person: Annotated[str, typer.Argument(help="A person of the node.")],
    briefed: Annotated[
        bool, typer.Option("--briefed", help="(f) they were briefed on their responsibilities.")
    ] = False,
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Attach a person to the facility, or record their briefing (R-CON-1 (f))."""
    from pactshare.node.contractors import attach  # noqa: PLC0415 - loaded when used

    _show(attach(open_node(home), contractor_id, person, briefed=briefed, by=by), as_json)


@group.command("custodian")
def custodian_command(
    contractor_id: IdArg,
    person: Annotated[
        str | None, typer.Argument(help="The new custodian, a person of the node.")
    ] = None,
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="Designate no custodian (hand-overs stop).")
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (required; audited).")] = "",
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Designate another custodian of the facility (R-CON-1 (j)), or none with --withdraw."""
    from pactshare.node.contractors import designate_custodian  # noqa: PLC0415 - loaded when used

    if (person is None) == (not withdraw):
        raise InputError("contractor custodian: give either a PERSON or --withdraw")
    node = open_node(home)
    _show(designate_custodian(node, contractor_id, person, reason=reason, by=by), as_json)


@group.command("handover")
def handover(
    item: Annotated[str, typer.Argument(help="The item id.")],
    contractor_id: IdArg,
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hand a held item to the facility: refused, naming each missing condition of Art. 16."""
    from pactshare.node.contractors import hand_over  # noqa: PLC0415 - loaded when used

    contractor = hand_over(open_node(home), item, contractor_id, by=by)
    if as_json:
        print_json({"item_id": item, "contractor": contractor.id, "handed_over": True})
        return
    console.print(f"{item} handed over to {contractor.name} ({contractor.facility})")


@group.command("list")
def list_command(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The contractor facilities, their inspections and staff."""
    from pactshare.node.contractors import list_contractors  # noqa: PLC0415 - loaded when used

    found = list_contractors(open_node(home))
    if as_json:
        print_json([asdict(c) for c in found])
        return
    table = Table("contractor", "facility", "custodian", "next inspection", "staff", box=None)
    for c in found:
        people = ", ".join(f"{p}{'' if briefed else ' (not briefed)'}" for p, briefed in c.staff)
        due = c.next_due.isoformat() if c.next_due else "—"
        table.add_row(c.id, c.facility, c.custodian or "none", due, people or "none")
    console.print(table)
