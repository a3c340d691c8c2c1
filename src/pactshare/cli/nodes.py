"""Node commands: ``node init``, ``directory add``, ``person add``, ``register``, ``provide``,
``receive``, ``inbox``, ``note give|receive``, ``consent request|grant|revoke|record``,
``incident report|update|close``, ``reclassify``, ``destroy``, ``audit head|verify|prove`` (and
``open ITEM --as NAME`` through the ``open`` command).

``--home D`` or ``PACTSHARE_HOME`` selects the node. ``PACTSHARE_CLOCK`` (an ISO 8601 instant)
fixes the node's clock, for replays and demos; otherwise the node uses the real time.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from pactshare import audit, seal
from pactshare.cli._files import passphrase
from pactshare.cli.main import EXIT_REFUSED, app
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.domain import parse_instant
from pactshare.errors import InputError
from pactshare.node import NodeHome, journal
from pactshare.node.agreements import load_registry
from pactshare.node.consents import grant_consent, record_consent, request_consent, revoke_consent
from pactshare.node.custody import apply_reclassification, dispose, reclassify
from pactshare.node.documents import write_document
from pactshare.node.holdings import inbox, open_item
from pactshare.node.incidents import close_incident, report_incident, update_incident
from pactshare.node.items import provide, register
from pactshare.node.notes import give_note, receive_note
from pactshare.node.people import add_person
from pactshare.node.reception import receive
from pactshare.node.service import Node, init_node

LARGE = 16 << 20  # items from this size on show a progress bar while they are sealed
HOME_ENV = "PACTSHARE_HOME"
CLOCK_ENV = "PACTSHARE_CLOCK"

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help=f"The node's home directory (or ${HOME_ENV}).")
]


def node_home(home: Path | None) -> NodeHome:
    chosen = home or (Path(os.environ[HOME_ENV]) if os.environ.get(HOME_ENV) else None)
    if chosen is None:
        raise InputError(f"--home: say which node (or set {HOME_ENV})")
    return NodeHome(chosen)


def clock() -> datetime:
    fixed = os.environ.get(CLOCK_ENV)
    return parse_instant(fixed, what=CLOCK_ENV) if fixed else datetime.now(UTC)


def open_node(home: Path | None) -> Node:
    return Node(node_home(home), clock=clock, passphrase=passphrase())


node_group = typer.Typer(help="Create and inspect a party's node.")
app.add_typer(node_group, name="node")
directory_group = typer.Typer(help="The node's pinned directory of parties' public keys.")
app.add_typer(directory_group, name="directory")
person_group = typer.Typer(help="People of the node's party: clearance, need-to-know, roles.")
app.add_typer(person_group, name="person")


@node_group.command("init")
def node_init(
    party: Annotated[str, typer.Option("--party", help="The node's party, e.g. KOR.")],
    home: HomeOpt = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (default: SQLite in the home).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a node: keys, database and the reference agreements; writes D/public.key."""
    target = node_home(home)
    created = init_node(target.root, party=party, at=clock(), database=db, passphrase=passphrase())
    config = created.read_config()
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


@directory_group.command("add")
def directory_add(
    record: Annotated[Path, typer.Argument(help="A party's public key record (public.key).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pin a peer's public key record (checked and self-signed; no trust on first use)."""
    target = node_home(home)
    target.read_config()
    try:
        data = record.read_bytes()
    except OSError as exc:
        raise InputError(f"{record}: cannot read ({exc.strerror})") from exc
    parsed = seal.PublicKeyRecord.from_bytes(data, source=str(record))
    destination = target.directory / f"{parsed.party}.json"
    shutil.copyfile(record, destination)
    if as_json:
        print_json({"party": parsed.party, "signing_key": parsed.current.signing_key_id})
    else:
        console.print(f"pinned {parsed.party} ({parsed.current.signing_key_id})")


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
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a person; prints their API token once."""
    node = open_node(home)
    topics = [t.strip() for value in need_to_know or () for t in value.split(",") if t.strip()]
    with node.db.atomic() as tx:
        party = load_registry(tx).party(node.party_code)
        record, token = add_person(
            tx,
            party,
            name=name,
            clearance=clearance,
            need_to_know=topics,
            roles=list(role or ()),
            at=node.now(),
        )
    if as_json:
        print_json({"name": record.name, "clearance": record.clearance, "token": token})
        return
    known = ", ".join(record.need_to_know) or "nothing"
    console.print(f"{record.name}: clearance {record.clearance or 'none'}, need to know {known}")
    console.print(f"token (shown once): {token}")


@app.command("register")
def register_command(
    file: Annotated[Path, typer.Argument(help="The item to register.")],
    label: Annotated[Path, typer.Option("--label", help="Its security label (TOML).")],
    derived_from: Annotated[
        str | None,
        typer.Option("--derived-from", help="An item it contains (re-marked with it, R-MARK-2)."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Seal an item under its label on the originator's node; prints the item id."""
    node = open_node(home)
    size = file.stat().st_size if file.is_file() else 0
    if size < LARGE:
        item_id = register(node, file, label, derived_from=derived_from)
    else:
        with Progress(transient=True, console=Console(stderr=True)) as bar:
            task = bar.add_task(f"sealing {file.name}", total=size)
            item_id = register(
                node,
                file,
                label,
                derived_from=derived_from,
                progress=lambda n: bar.advance(task, n),
            )
    if as_json:
        print_json({"item_id": item_id})
    else:
        print(item_id)  # noqa: T201 - the id alone, for scripts


@app.command("provide")
def provide_command(
    item: Annotated[str, typer.Argument(help="The item id.")],
    to: Annotated[str, typer.Option("--to", help="The recipient party.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write a transfer package for hand carriage."),
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide now and provide the item: a package with -o, otherwise queued for the network."""
    result = provide(open_node(home), item, to, package=output)
    if as_json:
        print_json(
            {
                "provision": result.provision_id,
                "package": str(output) if output else None,
                "decision": result.decision,
            }
        )
        return
    hops = result.decision["route"]
    route = " → ".join([hops[0]["from"], *(hop["to"] for hop in hops)])
    console.print(f"{result.decision['outcome']}: {route}; marked {hops[-1]['marking']}")
    console.print(f"package written to {output}" if output else "queued in the outbox")


@app.command("receive")
def receive_command(
    package: Annotated[Path, typer.Argument(help="A transfer package.")],
    receipt_out: Annotated[
        Path | None, typer.Option("--receipt", help="Where to write the signed receipt.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify, re-decide, mark and store a package; write the signed receipt."""
    receipt = receive(open_node(home), package)
    target = receipt_out or package.with_name(package.name + ".receipt.json")
    write_document(target, receipt)
    body = receipt["body"]
    if as_json:
        print_json({"receipt": str(target), **body})
        return
    console.print(f"received {body['item_id']} from {body['sender']}, marked {body['marking']}")
    console.print(f"signed receipt written to {target}")


@app.command("inbox")
def inbox_command(
    home: HomeOpt = None,
    all_items: Annotated[bool, typer.Option("--all", help="Own registered items too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Items this node holds that other parties provided (with --all, its own too)."""
    rows = inbox(open_node(home), received_only=not all_items)
    if as_json:
        print_json([asdict(row) for row in rows])
        return
    table = Table("item", "from", "marking", "topics", "state", box=None, header_style="bold")
    for row in rows:
        table.add_row(
            row.item_id,
            row.received_from or row.originator,
            row.marking,
            ", ".join(row.topics),
            row.state,
        )
    console.print(table)


def open_holding(item: str, person: str, home: Path | None, output: Path) -> int:
    """``open ITEM --as NAME``: used by the ``open`` command."""
    return open_item(open_node(home), item, person_name=person, output=output)


note_group = typer.Typer(help="Diplomatic notes: signed notices that add events to agreements.")
app.add_typer(note_group, name="note")
consent_group = typer.Typer(help="Originators' written approvals for release or new use.")
app.add_typer(consent_group, name="consent")
OutputOpt = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write the signed document.")
]


def _emit(document: dict[str, object], output: Path | None, what: str, *, as_json: bool) -> None:
    """Write the signed document to ``output``; print it as JSON without -o or with --json."""
    if output is not None:
        write_document(output, document)
        if not as_json:
            console.print(f"{what} signed and written to {output}")
    if output is None or as_json:
        print_json(document)


@note_group.command("give")
def note_give(
    agreement: Annotated[str, typer.Argument(help="The agreement, e.g. gsomia-kor-jpn-2016.")],
    kind: Annotated[str, typer.Option("--kind", help="notice_of_termination, notice_suspension…")],
    effective: Annotated[
        str | None, typer.Option("--effective", help="When it takes effect (default: now).")
    ] = None,
    source: Annotated[str, typer.Option("--source", help="What the note says.")] = "",
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a note as this node's party; it is recorded here and queued for the other parties."""
    node = open_node(home)
    when = parse_instant(effective, what="--effective") if effective else None
    _emit(
        give_note(node, agreement, kind, effective=when, source=source),
        output,
        "note",
        as_json=as_json,
    )


@note_group.command("receive")
def note_receive(
    file: Annotated[Path, typer.Argument(help="A note another party gave.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a note received from another party (checked against the pinned directory)."""
    body = receive_note(open_node(home), file)
    if as_json:
        print_json(body)
        return
    event = body["event"]
    console.print(f"recorded {event['kind']} by {event['party']} on {body['agreement']}")


def _consent_subject(to: str | None, purpose: str | None) -> dict[str, str | None]:
    return {"release_to": to, "purpose": purpose}


ToOpt = Annotated[str | None, typer.Option("--to", help="The third party a release would go to.")]
PurposeOpt = Annotated[str | None, typer.Option("--purpose", help="The new purpose of use.")]


@consent_group.command("request")
def consent_request(
    item: Annotated[str, typer.Argument(help="The item id.")],
    to: ToOpt = None,
    purpose: PurposeOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """As a holder, ask the originator in writing to approve a release or a new use."""
    document = request_consent(open_node(home), item, **_consent_subject(to, purpose))
    _emit(document, output, "consent request", as_json=as_json)


@consent_group.command("grant")
def consent_grant(
    item: Annotated[str, typer.Argument(help="The item id.")],
    to: ToOpt = None,
    purpose: PurposeOpt = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """As the originator, approve a release or a new use in writing (prior to it)."""
    document = grant_consent(open_node(home), item, **_consent_subject(to, purpose))
    _emit(document, output, "approval", as_json=as_json)


@consent_group.command("revoke")
def consent_revoke(
    approval: Annotated[str, typer.Argument(help="The approval id.")],
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """As the originator, revoke an approval before it is used."""
    _emit(revoke_consent(open_node(home), approval), output, "revocation", as_json=as_json)


@consent_group.command("record")
def consent_record(
    file: Annotated[Path, typer.Argument(help="An approval or revocation from the originator.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """As a holder, put an approval or revocation received from the originator on file."""
    body = record_consent(open_node(home), file)
    if as_json:
        print_json(body)
        return
    console.print(
        f"on file: {body.get('kind', 'revocation')} {body['approval_id']} for {body['item_id']}"
    )


audit_group = typer.Typer(help="The node's tamper-evident audit log: heads, proofs, verification.")
app.add_typer(audit_group, name="audit")


@audit_group.command("head")
def audit_head(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Sign the head of the log as it is now (size, root, time) with the node's key."""
    node = open_node(home)
    with node.db.atomic() as tx:
        signed = journal.sign_head(
            tx, node.keys.signing_key, node.keys.signing_key_id, at=node.now()
        )
    if as_json:
        print(signed.to_json())  # noqa: T201 - machine output
        return
    head = signed.head
    console.print(f"size {head.size}, root {head.root.hex()}, signed {head.timestamp.isoformat()}")


@audit_group.command("verify")
def audit_verify(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Recompute the log from storage and check every signed head; exit 1 on any tampering."""
    node = open_node(home)
    with node.db.atomic() as tx:
        report = journal.verify(tx, node.keys.signing_key.public_key())
    failures = [p for p in report.problems if p.kind is not audit.ProblemKind.UNCOVERED]
    if as_json:
        print_json({
            "ok": not failures, "size": report.size, "root": report.root.hex(),
            "heads_verified": report.heads_verified, "covered": report.covered,
            "problems": [{"kind": p.kind.value, "position": p.position,
                          "last_position": p.last_position, "message": p.message}
                         for p in report.problems],
        })  # fmt: skip
    else:
        console.print(
            f"{report.size} entries, {report.heads_verified} signed heads verified, "
            f"{report.covered} entries covered by a head"
        )
        for problem in report.problems:
            console.print(f"  {problem.kind.value} at {problem.position}: {problem.message}")
        console.print("[red]TAMPERED[/]" if failures else "[green]verified[/]")
    if failures:
        raise typer.Exit(EXIT_REFUSED)


@audit_group.command("prove")
def audit_prove(
    entry: Annotated[int, typer.Argument(help="The entry's position (from 0).")],
    home: HomeOpt = None,
) -> None:
    """Print the inclusion proof of an entry in the latest signed head (verified first)."""
    node = open_node(home)
    with node.db.atomic() as tx:
        proof = journal.prove(tx, entry)
    print_json(dict(proof))


incident_group = typer.Typer(help="Loss or compromise of an item: report, update, close (R-INC-1).")
app.add_typer(incident_group, name="incident")


@incident_group.command("report")
def incident_report(
    item: Annotated[str, typer.Argument(help="The item lost or possibly compromised.")],
    summary: Annotated[str, typer.Option("--summary", help="What happened, as known now.")],
    confirmed: Annotated[bool, typer.Option("--confirmed", help="Already confirmed.")] = False,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open an incident; the originator is notified at once, even on suspicion."""
    _emit(
        report_incident(open_node(home), item, summary=summary, confirmed=confirmed),
        output,
        "incident notice",
        as_json=as_json,
    )


@incident_group.command("update")
def incident_update(
    incident: Annotated[str, typer.Argument(help="The incident id.")],
    state: Annotated[str, typer.Option("--state", help="confirmed or ruled-out.")],
    note: Annotated[str, typer.Option("--note", help="What the investigation found.")] = "",
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the investigation's finding; the originator is notified."""
    _emit(
        update_incident(open_node(home), incident, state=state, note=note),
        output,
        "incident notice",
        as_json=as_json,
    )


@incident_group.command("close")
def incident_close(
    incident: Annotated[str, typer.Argument(help="The incident id.")],
    findings: Annotated[str, typer.Option("--findings", help="The investigation's results.")] = "",
    measures: Annotated[str, typer.Option("--measures", help="Measures against recurrence.")] = "",
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close with the close-out report (findings and measures), sent to the originator."""
    _emit(
        close_incident(open_node(home), incident, findings=findings, measures=measures),
        output,
        "close-out report",
        as_json=as_json,
    )


@app.command("reclassify")
def reclassify_command(
    item: Annotated[str | None, typer.Argument(help="As the originator: the item id.")] = None,
    level: Annotated[
        str | None, typer.Option("--level", help="Its new level (originator).")
    ] = None,
    notice: Annotated[
        Path | None, typer.Option("--notice", help="As a holder: the originator's notice.")
    ] = None,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reclassify an item (originator), or apply the originator's written notice (holder)."""
    node = open_node(home)
    if notice is not None:
        result = apply_reclassification(node, notice)
        if as_json:
            print_json(result)
            return
        flagged = result["derived_flagged"]
        console.print(f"{result['item_id']} now marked {result['marking']}")
        console.print(f"{flagged} derived item(s) flagged for re-marking")
        return
    if item is None or level is None:
        raise InputError(
            "reclassify: give ITEM --level LEVEL (originator) or --notice FILE (holder)"
        )
    _emit(reclassify(node, item, level), output, "reclassification notice", as_json=as_json)


@app.command("destroy")
def destroy_command(
    item: Annotated[str, typer.Argument(help="The item id.")],
    returned: Annotated[
        bool, typer.Option("--return", help="Returned to the originator rather than destroyed.")
    ] = False,
    home: HomeOpt = None,
    output: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """At the end of need, destroy (or return) a holding; signs a certificate (R-PRO-8)."""
    _emit(dispose(open_node(home), item, returned=returned), output, "certificate", as_json=as_json)
