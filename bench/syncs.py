"""Syncs to disk per provision, end to end over both nodes, counted with ``strace -c``.

    python bench/syncs.py [--quick]

A child process (``--child``) runs two SQLite nodes on loopback (KOR serving nothing, JPN
served in process) and provides and delivers items one at a time; ``strace -f -c -e
trace=fsync,fdatasync`` counts the syncs of every thread of it. Run with N provisions and
with none (each after one warm-up provision: first contact with a peer is not per item, nor
is the node's start), the difference over N is the syncs of one provision: the sender's
``provide`` commit and the receiver's commit (the received envelope, small, is kept in the
database by that commit; a larger one would add its file and its folder); the sender's
delivered mark is not synced (``docs/architecture.md``). Its baseline, counted the
same way in the same run: one raw INSERT + COMMIT on a kept SQLite connection (WAL,
``synchronous=FULL``), one sync. Target: at most four commits' worth.

Counts, not times: the figure does not move with the machine's load. Skipped where strace is
missing or not allowed to trace.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Rate, main

WORK = ("provisions", "commits")


def _provisions(root: Path, count: int) -> None:
    """One warm-up provision, then ``count`` more, each provided and delivered."""
    import httpx  # noqa: PLC0415 - the child's imports, not the parent's
    from bench.federation import _pair  # noqa: PLC0415

    from pactshare.federation.delivery import deliver_due  # noqa: PLC0415
    from pactshare.federation.peers import add_peer  # noqa: PLC0415
    from pactshare.node.items import register  # noqa: PLC0415
    from pactshare.node.provision import provide  # noqa: PLC0415
    from pactshare.server.runner import NodeServer  # noqa: PLC0415

    kor, jpn = _pair(root)
    try:
        with NodeServer(jpn, port=0) as server, httpx.Client() as client:
            server.worker.stop()
            add_peer(kor, "JPN", server.url)
            items = [register(kor, root / "item.bin", root / "label.toml") for _ in range(21)]
            for item in items[: count + 1]:
                provide(kor, item, "JPN", package=None)
                if not deliver_due(kor, client=client).delivered:
                    raise RuntimeError("a provision was not delivered")
    finally:
        kor.close()
        jpn.close()


def _commits(root: Path, count: int) -> None:
    """One warm-up INSERT + COMMIT, then ``count`` more, on one kept connection."""
    root.mkdir()
    connection = sqlite3.connect(root / "raw.db", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, data TEXT)")
    for number in range(count + 1):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO rows (data) VALUES (?)", (f"row {number}",))
        connection.execute("COMMIT")
    connection.close()


def _child(work: str, count: int, root: Path) -> None:
    (_provisions if work == "provisions" else _commits)(root, count)


def _syncs(work: str, count: int) -> int | None:
    """fsync + fdatasync calls of a child doing ``work`` ``count`` times (None: no strace)."""
    strace = shutil.which("strace")
    if strace is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        root, summary = Path(folder) / "r", Path(folder) / "strace.txt"
        command = [strace, "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", str(summary)]
        child = [sys.executable, __file__, "--child", work, str(count), str(root)]
        done = subprocess.run(  # noqa: S603 - strace, our own interpreter and arguments
            [*command, *child], capture_output=True, text=True, check=False
        )
        if done.returncode != 0 or not summary.exists():
            print(f"bench/syncs.py: strace failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
            return None
        for line in summary.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if fields and fields[-1] == "total":
                return int(fields[3])
        return 0  # no sync at all: strace prints no table


def _per_item(work: str, count: int) -> float | None:
    """Syncs of one ``work`` item: with ``count`` items less with none, over ``count``."""
    some, none = _syncs(work, count), _syncs(work, 0)
    return None if some is None or none is None else (some - none) / count


def run(quick: bool) -> list[Figure]:
    count = 5 if quick else 20
    provision, commit = _per_item("provisions", count), _per_item("commits", count)
    if provision is None or commit is None:
        print("bench/syncs.py: no usable strace here; skipped", file=sys.stderr)
        return []
    return [
        Figure(
            "fsync + fdatasync per provision, end to end, both nodes (SQLite)",
            "syncs",
            Rate(provision, provision, provision),
            "raw INSERT + COMMIT, kept connection",
            Rate(commit, commit, commit),
            0.25,
            "≤ 4 commits' syncs (≥ 0.25×)",
            lower_is_better=True,
        )
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
    else:
        main(run)
