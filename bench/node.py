"""Node benchmarks: audit appends and provisions per second on SQLite and PostgreSQL, each
beside a raw single-row INSERT + COMMIT on one kept connection of the same database in the
same run; on SQLite, appends by 16 concurrent callers grouped into shared commits beside the
same callers committing one by one; and the rate of ``audit verify`` (recompute the whole
stored log) beside reading the same rows.

Where the time of an append and of a provide goes, beside the raw INSERT + COMMIT's, per unit:
this process's user CPU (Python, SQLAlchemy, SQLite), its system CPU (the kernel's: mostly
the commit's write and sync, which on a virtual disk can burn CPU rather than wait) and the
rest of its time, spent waiting (for the device; on PostgreSQL also for the server and the
round trips). Linux splits a process's CPU time into user and system by sampling: the split
is approximate, the sum exact. With ``s`` the time a commit's sync takes (system + waiting),
the ratio of rates is about (user_raw + s) / (user + s): it rises towards 1 as a sync gets
dearer, so a commit-relative target is met on a disk whose sync costs enough, and missed on
one whose sync is nearly free.

    python bench/node.py [--quick]

PostgreSQL rows appear when the server at PACTSHARE_BENCH_POSTGRES (default the local test
database) answers; a private schema is created and dropped.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Rate, Ticking, interleaved, main, measure_rate
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select, text
from tests.support import exchange_assurances

from pactshare.audit import EntryKind
from pactshare.node import journal
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.service import Node, init_node
from pactshare.store import Database, sqlite_url
from pactshare.store.schema import audit_entries

POSTGRES = os.environ.get(
    "PACTSHARE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "kor-mil-2"
topics = ["dprk-missile"]
releasable_to = ["JPN"]
"""
START = datetime(2019, 11, 22, 12, 0, tzinfo=UTC)
CALLERS = 16


@contextmanager
def _postgres_url() -> Iterator[str | None]:
    try:
        admin = create_engine(POSTGRES, connect_args={"connect_timeout": 3})
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception:
        print("PostgreSQL not reachable: its rows are skipped")
        yield None
        return
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def _raw_inserts(url: str, count: int) -> Iterator[Callable[[], None]]:
    """The baseline: ``count`` single-row INSERTs, each committed on its own, on one connection
    kept open (with the node's settings: WAL, synchronous=FULL), as plain as it gets."""
    db = Database(url)
    scratch = Table(
        f"raw_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("data", String(200)),
    )
    scratch.create(db.engine)
    counter = iter(range(10**9))
    statement = insert(scratch)

    def work() -> None:
        with db.engine.connect() as connection:
            for _ in range(count):
                with connection.begin():
                    connection.execute(statement, {"id": next(counter), "data": "x" * 150})

    try:
        yield work
    finally:
        scratch.drop(db.engine)
        db.dispose()


def _append(db: Database, item: str, at: datetime) -> None:
    with db.atomic() as tx:
        journal.record(tx, kind=EntryKind.DECISION, at=at, actor="KOR", subject=item,
                       details={"bench": True})  # fmt: skip


def _concurrent_figure(url: str, item: str, quick: bool) -> Figure:
    """Appends per second by CALLERS threads at once: grouped into shared commits (the node's
    default) beside each committing on its own (groups of one), timed in turn."""
    each = 10 if quick else 40
    grouped, alone = Database(url), Database(url, group=1)
    pool = ThreadPoolExecutor(CALLERS)

    def appends(db: Database) -> Callable[[], None]:
        def work() -> None:
            started = [pool.submit(_repeat, each, _append, db, item, START) for _ in range(CALLERS)]
            for caller in started:
                caller.result()

        return work

    try:
        rates = interleaved(
            {"grouped": appends(grouped), "alone": appends(alone)},
            ops=CALLERS * each,
            runs=3 if quick else 5,
        )
    finally:
        pool.shutdown()
        grouped.dispose()
        alone.dispose()
    return Figure(
        f"audit append, {CALLERS} concurrent callers, grouped commits (SQLite)",
        "entries/s",
        rates["grouped"],
        "same callers, one commit each",
        rates["alone"],
        2.0,
        ">= 2x one commit each",
    )


def _on_cpu(
    work: Callable[[], None], spent: list[tuple[float, float, float]]
) -> Callable[[], None]:
    """``work``, adding the wall, user CPU and system CPU seconds of each run of it to
    ``spent``."""

    def counted() -> None:
        start = resource.getrusage(resource.RUSAGE_SELF)  # microseconds, not clock ticks
        started = time.perf_counter()
        work()
        wall = time.perf_counter() - started
        end = resource.getrusage(resource.RUSAGE_SELF)
        spent.append((wall, end.ru_utime - start.ru_utime, end.ru_stime - start.ru_stime))

    return counted


def _split(spent: list[tuple[float, float, float]], ops: int) -> tuple[float, str]:
    """Over every run recorded in ``spent`` (the warm-up included): the user CPU seconds per
    unit, and a unit's time as user CPU + system CPU + waiting, in ms."""
    runs = len(spent) * ops
    wall, user, system = (sum(run[i] for run in spent) / runs for i in range(3))
    waiting = wall - user - system
    return user, (
        f"user {user * 1e3:.3f} + system {system * 1e3:.3f} + waiting {waiting * 1e3:.3f} ms"
    )


def _repeat(times: int, work: Callable[..., object], *args: object) -> None:
    for _ in range(times):
        work(*args)


def _node(root: Path, url: str) -> tuple[Node, str]:
    clock = Ticking(START)
    home = init_node(root / "kor", party="KOR", at=clock(), database=url)
    jpn = init_node(root / "jpn", party="JPN", at=clock())
    (home.directory / "JPN.json").write_bytes(jpn.public_key.read_bytes())
    (jpn.directory / "KOR.json").write_bytes(home.public_key.read_bytes())
    node, receiver = Node(home, clock=clock), Node(jpn, clock=clock)
    exchange_assurances({"KOR": node, "JPN": receiver})  # JPN's, before hand-over (AT-16)
    receiver.close()
    (root / "item.txt").write_bytes(os.urandom(4096))
    (root / "label.toml").write_text(LABEL, encoding="utf-8")
    return node, register(node, root / "item.txt", root / "label.toml")


def _figures(backend: str, url: str, root: Path, quick: bool) -> list[Figure]:
    count = 50 if quick else 200
    node, item = _node(root, url)

    def appends() -> None:
        for _ in range(count):
            _append(node.db, item, node.now())

    def provisions() -> None:
        for _ in range(count // 5):
            provide(node, item, "JPN", package=None)

    cpu: dict[str, list[tuple[float, float, float]]] = {"append": [], "raw": [], "provide": []}
    with _raw_inserts(url, count) as raw_inserts:  # timed in turn, under the same load
        rates = interleaved(
            {"append": _on_cpu(appends, cpu["append"]), "raw": _on_cpu(raw_inserts, cpu["raw"])},
            ops=count,
            runs=3,
        )
    raw = rates["raw"]
    provided = measure_rate(_on_cpu(provisions, cpu["provide"]), ops=count // 5, runs=3)
    figures = [
        Figure(
            f"audit append ({backend})",
            "entries/s",
            rates["append"],
            "raw INSERT+COMMIT, same database",
            raw,
            0.7,
            ">= 0.7x raw",
        ),
        Figure(
            f"provide, to the outbox ({backend})",
            "provisions/s",
            provided,
            "raw INSERT+COMMIT, same database",
            raw,
            0.25,
            ">= 0.25x raw",
        ),
    ]
    raw_user, raw_split = _split(cpu["raw"], count)
    for key, name, unit, ops in (
        ("append", "audit append", "entries", count),
        ("provide", "provide, to the outbox", "provisions", count // 5),
    ):
        user, split = _split(cpu[key], ops)
        figures.append(
            Figure(
                f"{name}: this process's user CPU per unit ({backend})",
                f"{unit}/CPU-s",
                Rate(1 / user, 1 / user, 1 / user),
                "raw INSERT+COMMIT's user CPU",
                Rate(1 / raw_user, 1 / raw_user, 1 / raw_user),
                None,
                f"(where the time goes) {split}; raw: {raw_split}",
            )
        )
    if backend == "SQLite":
        figures.append(_concurrent_figure(url, item, quick))
    with node.db.atomic() as tx:
        size = journal.size(tx)
        journal.sign_head(tx, node.keys.signing_key, node.keys.signing_key_id, at=node.now())
    public = node.keys.signing_key.public_key()

    def verify() -> None:
        with node.db.atomic() as tx:
            assert journal.verify(tx, public).ok  # noqa: S101 - a benchmark that verifies wrongly is void

    def read() -> None:
        with node.db.atomic() as tx:
            list(tx.execute(select(audit_entries.c.data)).scalars())

    figures.append(
        Figure(
            f"audit verify, {size:,} stored entries ({backend})",
            "entries/s",
            measure_rate(verify, ops=size, runs=3),
            "reading the same rows",
            measure_rate(read, ops=size, runs=3),
            None,
            "(no target)",
        )
    )
    node.close()
    return figures


def run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "sqlite").mkdir()
        figures += _figures(
            "SQLite", sqlite_url(root / "sqlite" / "bench.db"), root / "sqlite", quick
        )
        with _postgres_url() as url:
            if url is not None:
                (root / "pg").mkdir()
                figures += _figures("PostgreSQL", url, root / "pg", quick)
    return figures


if __name__ == "__main__":
    started = time.perf_counter()
    main(run)
    print(f"({time.perf_counter() - started:.0f} s)")
