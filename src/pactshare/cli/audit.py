"""The node's audit log: ``audit head|verify|prove|consistency|cosignatures|witness|forks``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pactshare.cli.main import EXIT_REFUSED, app
from pactshare.cli.nodes import HomeOpt, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, counted, print_json, to_the_second
from pactshare.errors import EnvelopeKeyError, InputError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from pactshare import seal
    from pactshare.federation import attestation
    from pactshare.node.service import Node


_PARTY = re.compile(r"[A-Z]{3}")
audit_group = typer.Typer(help="The node's tamper-evident audit log: heads, proofs, verification.")
app.add_typer(audit_group, name="audit")


@audit_group.command("head")
def audit_head(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Sign the head of the log as it is now (size, root, time) with the node's key."""
    from pactshare.node import auditing  # noqa: PLC0415 - loaded when used

    signed = auditing.sign_head(open_node(home))
    if as_json:
        print(signed.to_json())  # noqa: T201 - machine output
        return
    head = signed.head
    console.print(
        f"size {head.size}, root {head.root.hex()}, signed {to_the_second(head.timestamp)}"
    )


@audit_group.command("verify")
def audit_verify(
    home: HomeOpt = None,
    as_json: JsonOpt = False,
    with_peers: Annotated[
        bool,
        typer.Option(
            "--with-peers",
            help="Also ask each peer (witness) for the latest head of this log it cosigned, "
            "and check the log is consistent with it.",
        ),
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--directory",
            help="With --with-peers: trust the public keys in this folder (the inspector's "
            "own), not the node's pinned directory.",
        ),
    ] = None,
    peer: Annotated[
        list[str] | None,
        typer.Option(
            "--peer",
            help="With --with-peers: ask PARTY at URL (PARTY=URL, repeatable) instead of the "
            "node's peers.",
        ),
    ] = None,
) -> None:
    """Recompute the log from storage and check every signed head and every witness's
    cosignature kept (and, --with-peers, what the peers hold); exit 1 on any tampering."""
    from pactshare import seal  # noqa: PLC0415 - loaded when used
    from pactshare.federation import attestation  # noqa: PLC0415 - loaded when used
    from pactshare.node import auditing  # noqa: PLC0415 - loaded when used

    if (directory is not None or peer) and not with_peers:
        raise InputError("--directory and --peer go with --with-peers")
    node = open_node(home)
    asked: list[attestation.PeerHead] = []
    trusted, public_key = node.directory, node.keys.signing_key.public_key()
    if directory is not None:  # the inspector's trust anchors, not the node's
        trusted = seal.Directory.from_folder(directory)
        public_key = _log_key(trusted, node.party_code, directory)
    if with_peers:
        asked = attestation.ask_peers(node, _peers(node, peer), trusted)
    attested = [
        (f"the head {answer.party} holds as the latest it cosigned", answer.head)
        for answer in asked
        if answer.head is not None
    ]
    report = auditing.verify(node, public_key=public_key, directory=trusted, attested=attested)
    unanswered = [answer for answer in asked if answer.error is not None]
    if as_json:
        print_json({
            "ok": report.ok and not unanswered, "size": report.size,
            "root": report.root.hex(), "heads_verified": report.heads_verified,
            "covered": report.covered,
            "problems": [{"kind": p.kind.value, "position": p.position,
                          "last_position": p.last_position, "message": p.message}
                         for p in report.problems],
            **({"peers": [_peer_json(answer) for answer in asked]} if with_peers else {}),
        })  # fmt: skip
    else:
        console.print(
            f"{counted(report.size, 'entry', 'entries')}, "
            f"{counted(report.heads_verified, 'signed head')} verified, "
            f"{counted(report.covered, 'entry', 'entries')} covered by a head"
        )
        for answer in asked:
            console.print(f"  peer {_peer_line(answer)}")
        for problem in report.problems:
            console.print(f"  {problem.kind.value} at {problem.position}: {problem.message}")
        if not report.ok:
            console.print("[red]TAMPERED[/]")
        elif unanswered:
            console.print("[red]NOT VERIFIED[/]: not every peer could be asked")
        else:
            console.print("[green]verified[/]")
    if not report.ok or unanswered:
        raise typer.Exit(EXIT_REFUSED)


def _log_key(trusted: seal.Directory, party: str, folder: Path) -> Ed25519PublicKey:
    """The node's signing key as the inspector's directory pins it."""
    try:
        return trusted.current(party).signing_key
    except EnvelopeKeyError as exc:
        raise InputError(f"--directory {folder}: it pins no key of {party}, this node") from exc


def _peers(node: Node, given: list[str] | None) -> dict[str, str]:
    """The witnesses to ask: ``--peer PARTY=URL`` each, else the node's peers."""
    from pactshare.domain import normalise_party_code  # noqa: PLC0415 - loaded when used
    from pactshare.federation.peers import checked_url, list_peers  # noqa: PLC0415 - loaded when used

    if not given:
        found = {p.party: p.url for p in list_peers(node)}
        if not found:
            raise InputError("--with-peers: this node has no peers; name them with --peer")
        return found
    chosen = {}
    for text in given:
        party, equals, url = text.partition("=")
        code = normalise_party_code(party)
        if not equals or not _PARTY.fullmatch(code) or not url.strip():
            raise InputError(f"--peer {text!r}: expected PARTY=URL, e.g. JPN=https://jpn:8443")
        if code == node.party_code:
            raise InputError(f"--peer {text!r}: {code} is this node, not a witness of it")
        chosen[code] = checked_url(url, option="--peer")
    return chosen


def _peer_json(answer: attestation.PeerHead) -> dict[str, object]:
    head = answer.head
    return {
        "party": answer.party, "url": answer.url, "error": answer.error,
        "size": None if head is None else head.size,
        "root": None if head is None else head.root.hex(),
        "timestamp": None if head is None else head.head.timestamp.isoformat(),
    }  # fmt: skip


def _peer_line(answer: attestation.PeerHead) -> str:
    if answer.error is not None:  # it may quote what a hostile peer sent: no markup
        return f"{answer.party}: [red]{escape(answer.error)}[/]"
    if answer.head is None:
        return f"{answer.party}: has cosigned no head of this log yet"
    return f"{answer.party}: cosigned size {answer.head.size}, root {answer.head.root.hex()}"


@audit_group.command("prove")
def audit_prove(
    entry: Annotated[int, typer.Argument(help="The entry's position (from 0).")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the inclusion proof of an entry in the latest signed head (verified first)."""
    from pactshare.node import auditing  # noqa: PLC0415 - loaded when used

    proof = auditing.prove(open_node(home), entry)
    if as_json:
        print_json(proof.to_dict())
        return
    console.print(
        f"entry {proof.position} ({proof.entry['kind']}, leaf {proof.leaf_hash}) is in "
        f"the signed head of size {proof.size}, root {proof.root}: verified"
    )
    for index, node_hash in enumerate(proof.proof):
        console.print(f"  {index}: {node_hash}")


@audit_group.command("consistency")
def audit_consistency(
    old: Annotated[int, typer.Argument(help="The older tree size (from 1).")],
    new: Annotated[
        int | None, typer.Argument(help="The newer tree size (default: the latest signed head).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the proof that the log at NEW extends the log at OLD (RFC 9162, verified first)."""
    from pactshare.node import auditing  # noqa: PLC0415 - loaded when used

    proof = auditing.prove_consistency(open_node(home), old, new, names=("OLD", "NEW"))
    if as_json:
        print_json(proof.to_dict())
        return
    console.print(
        f"the log of size {proof.new_size} (root {proof.new_root}) extends the log of "
        f"size {proof.old_size} (root {proof.old_root}): verified"
    )
    for index, node_hash in enumerate(proof.proof):
        console.print(f"  {index}: {node_hash}")


@audit_group.command("cosignatures")
def audit_cosignatures(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Show the witnesses' cosignatures of this node's signed tree heads."""
    from pactshare.federation.storage import cosignatures  # noqa: PLC0415 - loaded when used

    found = cosignatures(open_node(home))
    if as_json:
        print_json([row.to_dict() for row in found])
        return
    if not found:
        console.print("no cosignatures yet: no witness has cosigned a head of this log")
        return
    table = Table("size", "witness", "root", "received", box=None, header_style="bold")
    for row in found:
        table.add_row(str(row.size), row.witness, row.root, row.received_at.isoformat())
    console.print(table)


@audit_group.command("witness")
def audit_witness(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Run one witnessing round now: ask every peer to cosign our head, tell them what we
    witnessed, and deliver (a serving node does this on its own every --witness-every s)."""
    from pactshare.federation import witness  # noqa: PLC0415 - loaded when used
    from pactshare.federation.delivery import deliver_due  # noqa: PLC0415 - loaded when used

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
    from pactshare.federation.storage import forks  # noqa: PLC0415 - loaded when used

    found = [fork.to_dict() for fork in forks(open_node(home))]
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
