"""The node's audit log: ``audit head|verify|prove|cosignatures|forks``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pactshare import audit
from pactshare.cli.main import EXIT_REFUSED, app
from pactshare.cli.nodes import HomeOpt, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, counted, print_json, to_the_second
from pactshare.federation import witness
from pactshare.federation.delivery import deliver_due
from pactshare.node import journal

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
    console.print(
        f"size {head.size}, root {head.root.hex()}, signed {to_the_second(head.timestamp)}"
    )


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
            f"{counted(report.size, 'entry', 'entries')}, "
            f"{counted(report.heads_verified, 'signed head')} verified, "
            f"{counted(report.covered, 'entry', 'entries')} covered by a head"
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


@audit_group.command("cosignatures")
def audit_cosignatures(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Show the witnesses' cosignatures of this node's signed tree heads."""
    node = open_node(home)
    with node.db.atomic() as tx:
        found = witness.cosignatures(tx)
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("no cosignatures yet: no witness has cosigned a head of this log")
        return
    table = Table("size", "witness", "root", "received", box=None, header_style="bold")
    for row in found:
        table.add_row(str(row["size"]), row["witness"], row["root"], row["received_at"])
    console.print(table)


@audit_group.command("witness")
def audit_witness(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Run one witnessing round now: ask every peer to cosign our head, tell them what we
    witnessed, and deliver (a serving node does this on its own every --witness-every s)."""
    node = open_node(home)
    queued = witness.queue_round(node)
    report = deliver_due(node)
    summary = {
        "queued": len(queued),
        "delivered": len(report.delivered),
        "retrying": len(report.retrying),
        "refused": len(report.refused),
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"witnessing round: {counted(summary['queued'], 'message')} queued, {summary['delivered']} "
        f"delivered, {summary['retrying']} to retry, {summary['refused']} refused "
        "(see: pactshare audit cosignatures, pactshare audit forks, pactshare outbox)"
    )


@audit_group.command("forks")
def audit_forks(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Show the forks detected in peers' logs (two histories shown), with their evidence."""
    node = open_node(home)
    with node.db.atomic() as tx:
        found = witness.forks(tx)
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("no forks detected: every peer's log seen so far shows one history")
        return
    for fork in found:
        console.print(
            f"[red]FORK[/] in the log of {fork['party']}, reported by {fork['reported_by']} "
            f"at {fork['detected_at']}: {fork['reason']}"
        )
