"""Faults between real node processes: the sender restarted between decide and send, the
receiver down for a while, the receiver killed (-9) after recording but before answering.
Every item is delivered exactly once in effect, nothing is lost, every log verifies."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from pactshare.store.schema import audit_entries, receipts
from tests.e2e.conftest import MakeNode
from tests.e2e.federation_support import NodeProcess, connect, wait_for
from tests.e2e.test_federation_nodes import GSOMIA_LAST_DAY, label, register


def attempts(node: NodeProcess, message: str) -> int:
    [row] = [row for row in node.outbox() if row["id"] == message]
    return int(row["attempts"])


def state(node: NodeProcess, message: str) -> str:
    [row] = [row for row in node.outbox() if row["id"] == message]
    return str(row["state"])


def count(node: NodeProcess, table_count: object) -> int:
    opened = node.open()
    try:
        with opened.db.atomic() as tx:
            return int(tx.execute(table_count).scalar_one())  # type: ignore[call-overload]
    finally:
        opened.close()


@pytest.mark.slow
def test_nothing_is_lost_and_nothing_applied_twice_through_restarts_and_a_kill(
    tmp_path: Path, make_node: MakeNode
) -> None:
    kor, jpn = make_node("KOR", GSOMIA_LAST_DAY), make_node("JPN", GSOMIA_LAST_DAY)
    connect([kor, jpn])
    item = register(kor, tmp_path, "SLBM telemetry", label("gsomia-kor-jpn-2016", "dprk-missile/slbm", '"JPN"'))  # fmt: skip

    # Decided and committed with its outbox message while KOR's server is not running.
    message = kor.json("provide", item, "--to", "JPN")["provision"]
    assert state(kor, message) == "pending"

    kor.start()  # JPN is down: KOR retries with backoff and says why
    wait_for("two failed attempts", lambda: attempts(kor, message) >= 2)
    [row] = [row for row in kor.outbox() if row["id"] == message]
    assert row["last_error"]
    assert row["next_attempt_at"]
    kor.kill()  # the sender dies between attempts

    # JPN records the item, then is killed before it can answer (kill -9, as a crash).
    jpn.start(PACTSHARE_CRASH_AT="receive:recorded")
    kor.start()
    assert jpn.process is not None
    wait_for("JPN to crash after recording", lambda: jpn.process.poll() is not None)  # type: ignore[union-attr]
    jpn.process = None
    assert jpn.holds(item)
    assert state(kor, message) == "pending"  # no receipt came back: not delivered yet

    jpn.start()  # the retry is answered with the receipt recorded before the crash
    wait_for("the delivery", lambda: state(kor, message) == "delivered")

    assert count(jpn, select(func.count()).select_from(receipts)) == 1
    kinds = select(func.count()).select_from(audit_entries)
    assert count(jpn, kinds.where(audit_entries.c.kind == "receipt")) == 1
    assert count(kor, kinds.where(audit_entries.c.kind == "delivery")) == 1
    for node in (kor, jpn):
        node.verify_audit()
