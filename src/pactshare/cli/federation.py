"""Federation commands: ``serve``, ``peer add|list``, ``outbox``, ``deliver``.

``pactshare serve`` runs the node's HTTP server and its delivery worker until SIGINT or
SIGTERM, then stops gracefully (requests in flight finish; undelivered messages stay in the
outbox for the next start). It logs what the node decides and delivers, and no request
lines, so no token ever reaches its log; ``--log-format json`` writes one JSON object a
line (:mod:`pactshare.cli.logs`).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from pactshare.cli.logs import LogFormat, configure_logging
from pactshare.cli.main import app
from pactshare.cli.nodes import HomeOpt, open_node
from pactshare.cli.options import JsonOpt
from pactshare.cli.render import console, print_json
from pactshare.defaults import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_OPENS_PER_MINUTE,
)

log = logging.getLogger(__name__)

peer_group = typer.Typer(help="Peer nodes: where each party's node answers.")
app.add_typer(peer_group, name="peer")


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option("--port", help="The TCP port (0: any free port).")],
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    home: HomeOpt = None,
    max_message_bytes: Annotated[
        int, typer.Option("--max-message-bytes", help="Largest federation message accepted.")
    ] = DEFAULT_MAX_BODY,
    witness_every: Annotated[
        float,
        typer.Option(
            "--witness-every", help="Seconds between witnessing rounds with the peers (0: none)."
        ),
    ] = 60.0,
    ssl_keyfile: Annotated[
        str | None, typer.Option("--ssl-keyfile", help="TLS private key (PEM).")
    ] = None,
    ssl_certfile: Annotated[
        str | None, typer.Option("--ssl-certfile", help="TLS certificate chain (PEM).")
    ] = None,
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections", help="Connections held at once; one more is answered 503."
        ),
    ] = DEFAULT_MAX_CONNECTIONS,
    header_timeout: Annotated[
        float,
        typer.Option(
            "--header-timeout", help="Seconds a request's head may take to arrive (then 408)."
        ),
    ] = DEFAULT_HEADER_TIMEOUT,
    body_timeout: Annotated[
        float,
        typer.Option(
            "--body-timeout", help="Seconds a request body may pause between bytes (then 408)."
        ),
    ] = DEFAULT_BODY_TIMEOUT,
    opens_per_minute: Annotated[
        int,
        typer.Option(
            "--opens-per-minute",
            help="Items' content a person may open (or try to) a minute; then 429.",
        ),
    ] = DEFAULT_OPENS_PER_MINUTE,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format",
            metavar="FORMAT",
            help="The log on stderr: text, or json (one JSON object a line).",
        ),
    ] = LogFormat.TEXT,
) -> None:
    """Serve the node (API, federation endpoint) and deliver its outbox until stopped."""
    from pactshare.server.limits import Limits  # noqa: PLC0415 - loaded when used
    from pactshare.server.runner import NodeServer  # noqa: PLC0415 - loaded when used

    configure_logging(log_format)
    limits = Limits(max_connections, header_timeout, body_timeout)
    node = open_node(home)
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server = NodeServer(
        node,
        host,
        port,
        max_body=max_message_bytes,
        witness_every=witness_every or None,
        ssl_keyfile=ssl_keyfile,
        ssl_certfile=ssl_certfile,
        limits=limits,
        opens_per_minute=opens_per_minute,
    )
    with server:
        _announce(log_format, f"{node.party_code} serving on {server.url}", "serving",
                  party=node.party_code, url=server.url)  # fmt: skip
        while not stopping.wait(0.5):
            pass
        _announce(log_format, "stopping", "stopping", party=node.party_code)
    node.close()


def _announce(log_format: LogFormat, text: str, event: str, **fields: str) -> None:
    """Say that the server started or stops: a line for people, a record in a JSON log."""
    if log_format is LogFormat.JSON:
        log.info(event, extra=fields)
    else:
        print(f"pactshare: {text}", file=sys.stderr, flush=True)  # noqa: T201


@peer_group.command("add")
def peer_add(
    party: Annotated[str, typer.Argument(help="The peer's party, e.g. JPN.")],
    url: Annotated[str, typer.Option("--url", help="Its node's base URL, e.g. https://…")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Say where a peer's node answers (its public key must be pinned already)."""
    from pactshare.federation.peers import add_peer  # noqa: PLC0415 - loaded when used

    peer = add_peer(open_node(home), party, url)
    if as_json:
        print_json({"party": peer.party, "url": peer.url})
        return
    console.print(f"peer {peer.party} at {peer.url}")


@peer_group.command("list")
def peer_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The peers this node delivers to."""
    from pactshare.federation.peers import list_peers  # noqa: PLC0415 - loaded when used

    peers = list_peers(open_node(home))
    if as_json:
        print_json(
            [{"party": p.party, "url": p.url, "added_at": p.added_at.isoformat()} for p in peers]
        )
        return
    for peer in peers:
        console.print(f"{peer.party}  {peer.url}")


@app.command("outbox")
def outbox_command(
    home: HomeOpt = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also delivered and refused messages.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Pending deliveries and their retry state (attempts, next attempt, last error)."""
    from pactshare.federation.storage import outbox_entries  # noqa: PLC0415 - loaded when used

    rows = [entry.to_dict() for entry in outbox_entries(open_node(home), pending_only=not show_all)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("the outbox is empty" if show_all else "nothing pending in the outbox")
        return
    table = Table("id", "kind", "recipient", "attempts", "next attempt", "last error", "state")
    for row in rows:
        table.add_row(
            row["id"],
            row["kind"],
            row["recipient"],
            str(row["attempts"]),
            row["next_attempt_at"] or "",
            (row["last_error"] or "")[:80],
            row["state"],
        )
    console.print(table)


@app.command("deliver")
def deliver_command(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """One delivery pass now (what the server's worker does continuously)."""
    from pactshare.federation.delivery import deliver_due  # noqa: PLC0415 - loaded when used
    from pactshare.federation.relay import relay_due  # noqa: PLC0415 - loaded when used

    node = open_node(home)
    relayed = relay_due(node)
    report = deliver_due(node)
    summary = {
        "relayed": relayed,
        "delivered": report.delivered,
        "refused": report.refused,
        "retrying": report.retrying,
    }
    if as_json:
        print_json(summary)
        return
    for key, ids in summary.items():
        console.print(f"{key}: {len(ids)}")
