"""kill -9 between any two steps of a workflow: after a restart nothing is lost, nothing is
applied twice, and the audit log still verifies. The command runs as a real subprocess that
SIGKILLs itself at a named point (PACTSHARE_CRASH_AT); then the same command is run again.
What comes before the crash (an item registered, provided) and the checks after it are made
in this process, on the node as the command leaves it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from pactshare.node import NodeHome, auditing
from pactshare.node.items import register
from pactshare.node.people import enrol_person
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.store.schema import derivations, items, provisions, receipts
from tests.support import Clock, at, pinned_homes

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "kor-mil-2"
topics = ["dprk-missile"]
releasable_to = ["JPN"]
"""
CLOCK = "2019-11-22T23:00:00+09:00"


def pactshare(*args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PACTSHARE_CLOCK": CLOCK}
    env.pop("PACTSHARE_CRASH_AT", None)
    if crash_at:
        env["PACTSHARE_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "pactshare", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )


def count(home: NodeHome, table: object, **where: str) -> int:
    engine = create_engine(home.read_config().database)
    try:
        query = select(func.count()).select_from(table)  # type: ignore[arg-type]
        for column, value in where.items():
            query = query.where(text(f"{column} = :{column}").bindparams(**{column: value}))
        with engine.connect() as connection:
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


def opened(home: NodeHome) -> Node:
    return Node(home, clock=Clock(at(CLOCK)))


def assert_log_verifies(home: NodeHome) -> None:
    """What ``audit head`` then ``audit verify`` do: sign the head, recompute the whole log."""
    node = opened(home)
    try:
        auditing.sign_head(node)
        report = auditing.verify(node)
    finally:
        node.close()
    assert report.ok, report.problems


def registered(kor: NodeHome, tmp_path: Path) -> str:
    node = opened(kor)
    try:
        return register(node, tmp_path / "item.txt", tmp_path / "label.toml")
    finally:
        node.close()


def provided(kor: NodeHome, item: str, package: Path) -> None:
    node = opened(kor)
    try:
        assert provide(node, item, "JPN", package=package).package == package
    finally:
        node.close()


def received(jpn: NodeHome, package: Path) -> None:
    node = opened(jpn)
    try:
        receive(node, package)
    finally:
        node.close()


@pytest.fixture
def homes(tmp_path: Path, database_url: str) -> tuple[NodeHome, NodeHome, Path]:
    """KOR on the backend under test, JPN on SQLite, pinned to each other; an item and a label."""
    homes = pinned_homes(tmp_path, at(CLOCK), ("KOR", "JPN"), databases={"KOR": database_url})
    kor, jpn = homes["KOR"], homes["JPN"]
    (tmp_path / "item.txt").write_text("telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    return kor, jpn, tmp_path


def _register(
    kor: NodeHome, tmp_path: Path, crash_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    return pactshare("register", str(tmp_path / "item.txt"), "--label", str(tmp_path / "label.toml"),
                     "--home", str(kor.root), crash_at=crash_at)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("point", ["register:sealed", "journal:appended"])
def test_register_killed_before_commit_leaves_nothing_and_reruns_once(
    homes: tuple[NodeHome, NodeHome, Path], point: str
) -> None:
    kor, _, tmp_path = homes
    assert _register(kor, tmp_path, crash_at=point).returncode == -signal.SIGKILL
    assert count(kor, items) == 0
    assert_log_verifies(kor)
    assert _register(kor, tmp_path).returncode == 0
    assert count(kor, items) == 1
    assert_log_verifies(kor)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "recorded"),
    [("provide:wrapped", 0), ("provide:recorded", 1), ("provide:written", 1)],
)
def test_provide_killed_at_each_step_ends_with_one_provision_and_one_package(
    homes: tuple[NodeHome, NodeHome, Path], point: str, recorded: int
) -> None:
    kor, jpn, tmp_path = homes
    item = registered(kor, tmp_path)
    package = tmp_path / "pkg.zip"
    args = ("provide", item, "--to", "JPN", "--home", str(kor.root), "-o", str(package))
    assert pactshare(*args, crash_at=point).returncode == -signal.SIGKILL
    assert count(kor, provisions) == recorded  # never a package without its record
    if recorded == 0:
        assert not package.exists()
    assert pactshare(*args).returncode == 0
    assert count(kor, provisions) == 1
    assert count(kor, provisions, state="packaged") == 1
    received(jpn, package)
    assert_log_verifies(kor)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["receive:stored", "receive:recorded"])
def test_receive_killed_at_each_step_keeps_one_item_and_one_receipt(
    homes: tuple[NodeHome, NodeHome, Path], point: str
) -> None:
    kor, jpn, tmp_path = homes
    package = tmp_path / "pkg.zip"
    provided(kor, registered(kor, tmp_path), package)
    receiving = ("receive", str(package), "--home", str(jpn.root))
    assert pactshare(*receiving, crash_at=point).returncode == -signal.SIGKILL
    assert pactshare(*receiving).returncode == 0
    assert pactshare(*receiving).returncode == 0  # and once more: still one effect
    assert count(jpn, items) == 1
    assert count(jpn, receipts) == 1
    assert Path(str(package) + ".receipt.json").exists()
    assert_log_verifies(jpn)


@pytest.mark.slow
def test_copy_killed_after_sealing_records_no_copy_and_reruns_within_the_limit(
    homes: tuple[NodeHome, NodeHome, Path],
) -> None:
    """R-REP-1: a copy killed once sealed is not recorded (nor counted); made again, it is
    copy 1 of the limit of 1, and the log still verifies."""
    kor, jpn, tmp_path = homes
    (tmp_path / "label.toml").write_text(LABEL + "copy_limit = 1\n", encoding="utf-8")
    item = registered(kor, tmp_path)
    package = tmp_path / "pkg.zip"
    provided(kor, item, package)
    received(jpn, package)
    node = opened(jpn)
    try:
        enrol_person(node, name="Sato", clearance="極秘", need_to_know=["dprk-missile"], roles=[])
    finally:
        node.close()
    copy = ("copy", item, "--as", "Sato", "--home", str(jpn.root), "--json")
    assert pactshare(*copy, crash_at="copy:sealed").returncode == -signal.SIGKILL
    assert count(jpn, derivations) == 0
    made = pactshare(*copy)
    assert made.returncode == 0, made.stderr
    assert '"number": 1' in made.stdout
    assert count(jpn, derivations) == 1
    assert pactshare(*copy).returncode == 1  # the limit is 1: the crashed attempt took nothing
    assert_log_verifies(jpn)
