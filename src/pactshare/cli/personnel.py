"""``pactshare person clearance|need-to-know|leave|review`` (or ``user …``): people over time
(R-ACC-3). Every change is an admin's or security officer's audited act with its reason, and
takes effect at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from pactshare.cli.nodes import ActorOpt, HomeOpt, open_node, person_group, user_group
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.domain import parse_instant

if TYPE_CHECKING:
    from pactshare.node.people import PersonRecord

NameArg = Annotated[str, typer.Argument(help="The person.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (required; in the audit log).")]


def _record_json(record: PersonRecord) -> dict[str, object]:
    return {
        "name": record.name,
        "clearance": record.clearance,
        "clearance_expires": (
            record.clearance_expires.isoformat() if record.clearance_expires else None
        ),
        "need_to_know": list(record.need_to_know),
        "roles": [role.value for role in record.roles],
    }


def _show(record: PersonRecord, as_json: bool) -> None:
    if as_json:
        print_json(_record_json(record))
        return
    until = f" until {record.clearance_expires.isoformat()}" if record.clearance_expires else ""
    known = ", ".join(record.need_to_know) or "nothing"
    console.print(
        f"{record.name}: clearance {record.clearance or 'none'}{until}, need to know {known} "
        "(audited; in effect at once)"
    )


@user_group.command("clearance")
@person_group.command("clearance")
def person_clearance(
    name: NameArg,
    level: Annotated[
        str, typer.Argument(help="A level of the node's scheme, or none to revoke it.")
    ],
    reason: ReasonOpt,
    expires: Annotated[
        str | None,
        typer.Option("--expires", metavar="INSTANT", help="End of its validity (default: none)."),
    ] = None,
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Grant, upgrade, downgrade or revoke a person's clearance (R-ACC-3)."""
    from pactshare.node.personnel import change_clearance  # noqa: PLC0415 - loaded when used

    until = parse_instant(expires, what="--expires") if expires else None
    node = open_node(home)
    _show(change_clearance(node, name, level, expires=until, reason=reason, by=by), as_json)


@user_group.command("need-to-know")
@person_group.command("need-to-know")
def person_need_to_know(
    name: NameArg,
    topics: Annotated[
        list[str] | None, typer.Argument(help="Topics; none given: no need to know.")
    ] = None,
    reason: ReasonOpt = "",
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replace a person's need-to-know (R-ACC-3)."""
    from pactshare.node.personnel import change_need_to_know  # noqa: PLC0415 - loaded when used

    node = open_node(home)
    _show(change_need_to_know(node, name, topics or [], reason=reason, by=by), as_json)


@user_group.command("leave")
@person_group.command("leave")
def person_leave(
    name: NameArg,
    reason: ReasonOpt,
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A person leaves: clearance and need-to-know withdrawn, token revoked, sessions ended."""
    from pactshare.node.personnel import leave  # noqa: PLC0415 - loaded when used

    _show(leave(open_node(home), name, reason=reason, by=by), as_json)


@user_group.command("review")
@person_group.command("review")
def person_review(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The periodic access review: every person and the holdings they may open now."""
    from pactshare.node.personnel import access_review  # noqa: PLC0415 - loaded when used

    rows = access_review(open_node(home))
    if as_json:
        print_json(
            [
                {**_record_json(row.person), "may_open": [h.item_id for h in row.holdings]}
                for row in rows
            ]
        )
        return
    table = Table("person", "clearance", "until", "need to know", "may open", box=None)
    for row in rows:
        person = row.person
        until = person.clearance_expires.isoformat() if person.clearance_expires else "—"
        may_open = ", ".join(h.item_id[:12] for h in row.holdings) or "nothing"
        table.add_row(
            person.name, person.clearance or "none", until,
            ", ".join(person.need_to_know) or "nothing", may_open,
        )  # fmt: skip
    console.print(table)
