"""Node commands: ``node init``, ``node migrate``, ``directory add``, ``user
add|revoke|token-rotate`` (or ``person …``); and what every node command shares: ``--home D``
(or ``PACTSHARE_HOME``) selects the node, ``PACTSHARE_CLOCK`` (an ISO 8601 instant) fixes the
node's clock for replays and demos, ``-o`` writes a signed document.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pactshare.cli._files import passphrase, unencrypted_hint
from pactshare.cli.main import app
from pactshare.cli.options import JsonOpt, instant
from pactshare.cli.render import console, print_json
from pactshare.defaults import DEFAULT_TOKEN_DAYS
from pactshare.domain import Registry
from pactshare.errors import InputError, PactshareError
from pactshare.files import read_regular
from pactshare.limits import MAX_SCENARIO_FILE
from pactshare.node.clock import node_clock
from pactshare.scenarios import load_registry as load_files

if TYPE_CHECKING:
    from pactshare.node import NodeHome
    from pactshare.node.service import Node


LARGE = 16 << 20  # items from this size on show a progress bar while they are sealed
HOME_ENV = "PACTSHARE_HOME"

ExpiresOpt = Annotated[
    int, typer.Option("--expires-in", help="Days until the token expires (real time).")
]
ActorOpt = Annotated[
    str | None,
    typer.Option("--as", help="The admin or security officer doing it (named in the audit log)."),
]
HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", metavar="DIR", help=f"The node's home directory (or ${HOME_ENV})."),
]


def node_home(home: Path | None) -> NodeHome:
    from pactshare.node import NodeHome  # noqa: PLC0415 - loaded when used

    chosen = home or (Path(os.environ[HOME_ENV]) if os.environ.get(HOME_ENV) else None)
    if chosen is None:
        raise InputError(f"--home: say which node (or set {HOME_ENV})")
    return NodeHome(chosen)


clock = node_clock(os.environ)  # the node's clock: $PACTSHARE_CLOCK, or the real time


def open_node(home: Path | None) -> Node:
    from pactshare.node.service import Node  # noqa: PLC0415 - loaded when used

    return Node(node_home(home), clock=clock, passphrase=passphrase())


ViewHomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home",
        metavar="DIR",
        help="Take this node's agreements, with the events its notes recorded "
        f"(only when given: ${HOME_ENV} is not read here).",
    ),
]


def registry_view(home: Path | None, directories: list[Path] | None) -> Registry:
    """The registry a person asks about: the node's own (its files and recorded notes) with
    ``--home``, otherwise the reference scenario plus ``--agreements`` directories.

    ``--home`` is never taken from the environment here: an officer asking a node's view
    names the node.
    """
    if home is None:
        return load_files(list(directories or ()))
    from pactshare.node import NodeHome  # noqa: PLC0415 - loaded when used
    from pactshare.node.service import Node  # noqa: PLC0415 - loaded when used

    if directories:
        raise InputError("--agreements: not with --home (a node uses the agreements it holds)")
    node = Node(NodeHome(home), clock=clock, passphrase=passphrase())
    try:
        return node.prepared_now().registry
    finally:
        node.close()


def view_instant(at: str | None, home: Path | None) -> datetime:
    """``--at``, or now: the node's clock (``$PACTSHARE_CLOCK``) with ``--home``."""
    if at is None and home is not None:
        return clock()
    return instant(at)


OutputOpt = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write the signed document.")
]


def emit_document(
    document: dict[str, object], output: Path | None, what: str, *, as_json: bool
) -> None:
    """Write the signed document to ``output``; print it as JSON without -o or with --json."""
    from pactshare.node.documents import write_document  # noqa: PLC0415 - loaded when used

    if output is not None:
        write_document(output, document)
        if not as_json:
            console.print(f"{what} signed and written to {output}")
    if output is None or as_json:
        print_json(document)


node_group = typer.Typer(help="Create and inspect a party's node.")
app.add_typer(node_group, name="node")
directory_group = typer.Typer(help="The node's pinned directory of parties' public keys.")
app.add_typer(directory_group, name="directory")
person_group = typer.Typer(help="People of the node's party: clearance, need-to-know, roles.")
app.add_typer(person_group, name="person")
user_group = typer.Typer(help="People of the node's party (another name for person).")
app.add_typer(user_group, name="user")


@node_group.command("init")
def node_init(
    party: Annotated[str, typer.Option("--party", help="The node's party, e.g. KOR.")],
    home: HomeOpt = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL: postgresql+psycopg://… or sqlite:///PATH "
            "(default: node.db in the home).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a node: keys, database and the reference agreements; writes D/public.key."""
    from pactshare.node.service import init_node  # noqa: PLC0415 - loaded when used

    target = node_home(home)
    created = init_node(target.root, party=party, at=clock(), database=db, passphrase=passphrase())
    config = created.read_config()
    unencrypted_hint(created.keys)
    if as_json:
        print_json(
            {
                "party": config.party,
                "home": str(created.root),
                "public_key": str(created.public_key),
            }
        )
        return
    console.print(f"node for {config.party} created in {created.root}")
    console.print(
        f"  hand {created.public_key} to peers; pin theirs with: pactshare directory add FILE"
    )


@node_group.command("migrate")
def node_migrate(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Upgrade the node's database to this pactshare's revision (homes of earlier versions,
    ``demo --dir`` homes included); a database made by a newer pactshare is refused."""
    from pactshare.node.service import migrate_node  # noqa: PLC0415 - loaded when used

    done = migrate_node(node_home(home))
    if as_json:
        print_json(
            {
                "home": str(done.home),
                "from": done.before,
                "to": done.after,
                "migrated": done.migrated,
            }
        )
        return
    if done.migrated:
        before = done.before or "empty"
        console.print(f"node {done.home}: database migrated from {before} to {done.after}")
    else:
        console.print(f"node {done.home}: database already at {done.after}")


def _pins(path: Path, party: str) -> bool:
    """Whether the key record at ``path`` is ``party``'s (an unreadable file pins nothing)."""
    from pactshare import seal  # noqa: PLC0415 - loaded when used

    try:
        return seal.PublicKeyRecord.from_bytes(path.read_bytes(), source=str(path)).party == party
    except (OSError, PactshareError):
        return False


@directory_group.command("add")
def directory_add(
    record: Annotated[Path, typer.Argument(help="A party's public key record (public.key).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pin a peer's public key record (checked and self-signed; no trust on first use)."""
    from pactshare import seal  # noqa: PLC0415 - loaded when used

    target = node_home(home)
    target.read_config()
    try:
        data = read_regular(record, MAX_SCENARIO_FILE)  # a key record is ~1 KiB
    except InputError as exc:
        raise InputError(f"{record}: {exc}") from exc
    parsed = seal.PublicKeyRecord.from_bytes(data, source=str(record))
    destination = target.directory / f"{parsed.party}.json"
    for pinned in sorted((*target.directory.glob("*.json"), *target.directory.glob("*.key"))):
        if pinned != destination and _pins(pinned, parsed.party):
            raise InputError(
                f"{record}: {parsed.party} is already pinned in {pinned}; remove that file first"
                " (a directory holds one record per party)"
            )
    shutil.copyfile(record, destination)
    if as_json:
        print_json({"party": parsed.party, "signing_key": parsed.current.signing_key_id})
    else:
        console.print(f"pinned {parsed.party} ({parsed.current.signing_key_id})")


@user_group.command("add")
@person_group.command("add")
def person_add(
    name: Annotated[str, typer.Argument(help="The person's name.")],
    clearance: Annotated[
        str | None, typer.Option(help="Their clearance: a level of the node's scheme.")
    ] = None,
    need_to_know: Annotated[
        list[str] | None, typer.Option("--need-to-know", help="Topics (repeatable or a,b).")
    ] = None,
    role: Annotated[list[str] | None, typer.Option("--role", help="Roles (repeatable).")] = None,
    expires_in: ExpiresOpt = DEFAULT_TOKEN_DAYS,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a person; prints their API token once (it expires after --expires-in days)."""
    from pactshare.node.people import enrol_person  # noqa: PLC0415 - loaded when used

    topics = [t.strip() for value in need_to_know or () for t in value.split(",") if t.strip()]
    record, token = enrol_person(
        open_node(home),
        name=name,
        clearance=clearance,
        need_to_know=topics,
        roles=list(role or ()),
        expires_in_days=expires_in,
    )
    if as_json:
        print_json(
            {
                "name": record.name,
                "clearance": record.clearance,
                "token": token,
                "token_expires": record.token_expires.isoformat(),
            }
        )
        return
    known = ", ".join(record.need_to_know) or "nothing"
    console.print(f"{record.name}: clearance {record.clearance or 'none'}, need to know {known}")
    console.print(f"token (shown once, expires {record.token_expires:%Y-%m-%d %H:%M} UTC): {token}")


@user_group.command("revoke")
@person_group.command("revoke")
def person_revoke(
    name: Annotated[str, typer.Argument(help="The person whose token to revoke.")],
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a person's token now; their dashboard sessions end (audited)."""
    from pactshare.node.people import revoke_token  # noqa: PLC0415 - loaded when used

    revoke_token(open_node(home), name, by=by)
    if as_json:
        print_json({"name": name, "revoked": True})
        return
    console.print(f"{name}'s token is revoked (give a new one with: pactshare user token-rotate)")


@user_group.command("token-rotate")
@person_group.command("token-rotate")
def person_token_rotate(
    name: Annotated[str, typer.Argument(help="The person who gets a new token.")],
    expires_in: ExpiresOpt = DEFAULT_TOKEN_DAYS,
    by: ActorOpt = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a person a new token in place of the old one (shown once; audited)."""
    from pactshare.node.people import rotate_token  # noqa: PLC0415 - loaded when used

    token, expires = rotate_token(open_node(home), name, by=by, expires_in_days=expires_in)
    if as_json:
        print_json({"name": name, "token": token, "token_expires": expires.isoformat()})
        return
    console.print(f"{name}'s old token is revoked; their sessions ended")
    console.print(f"token (shown once, expires {expires:%Y-%m-%d %H:%M} UTC): {token}")
