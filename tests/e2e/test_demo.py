"""``pactshare demo --no-serve``: the 2019 replay across three real nodes, end to end."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from pactshare.store import sqlite_url
from tests.integration.test_migrations import age
from tests.support import cli_json, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("demo") / "nodes"
    code, out = cli_json("demo", "--no-serve", "--dir", str(root))
    assert code == 0, out
    return root, out


def _step(out: dict[str, Any], at: str) -> dict[str, Any]:
    return next(step for step in out["steps"] if step["at"] == at)


def test_before_gsomia_the_tisa_hub_relays_with_seouls_consent(
    replay: tuple[Path, dict[str, Any]],
) -> None:
    _, out = replay
    asked = _step(out, "2016-09-09T14:00:00+09:00")
    assert (asked["outcome"], asked["route"]) == ("relay", "KOR → USA → JPN (tisa-2014)")
    assert asked["result"].startswith("USA holds it, marked KOR / SECRET")
    relayed = _step(out, "2016-09-09T14:30:00+09:00")
    assert relayed["result"] == "JPN holds it, marked KOR / 極秘 (SECRET)"


def test_a_prc_naval_relay_is_refused_citing_the_arrangements_scope(
    replay: tuple[Path, dict[str, Any]],
) -> None:
    _, out = replay
    refused = _step(out, "2016-09-09T15:00:00+09:00")
    assert refused["outcome"] == "refused"
    assert refused["result"].startswith("R-TISA-2: prc-naval outside tisa-2014 scope")


def test_gsomia_carries_the_2019_provisions_and_the_counterfactual_needs_the_hub(
    replay: tuple[Path, dict[str, Any]],
) -> None:
    _, out = replay
    for at in ("2019-07-01T10:00:00+09:00", "2019-11-22T23:59:59+09:00"):
        step = _step(out, at)
        assert (step["outcome"], step["without_suspension"]) == ("allowed", "allowed")
        assert step["result"] == "JPN holds it, marked KOR / 極秘 (SECRET)"
    midnight = _step(out, "2019-11-23T00:00:00+09:00")
    assert midnight["outcome"] == "allowed"
    assert midnight["route"] == "KOR → JPN (gsomia-kor-jpn-2016)"
    assert midnight["without_suspension"] == "relay via USA only"


def test_the_incident_reaches_the_originator_and_every_log_verifies(
    replay: tuple[Path, dict[str, Any]],
) -> None:
    root, out = replay
    assert out["steps"][-1]["outcome"] == "notified"
    listed = run_cli("incident", "list", "--home", str(root / "kor"), "--json")
    assert listed.returncode == 0, listed.stderr
    [incident] = json.loads(listed.stdout)  # Seoul sees what Tokyo reported
    assert (incident["holder"], incident["received"], incident["open"]) == ("JPN", True, True)
    for party in ("kor", "jpn", "usa"):
        done = run_cli("audit", "verify", "--home", str(root / party))
        assert done.returncode == 0, done.stderr


def test_the_readable_replay_explains_itself_and_refuses_a_used_directory(tmp_path: Path) -> None:
    done = run_cli("demo", "--no-serve")
    assert done.returncode == 0, done.stderr
    assert "GSOMIA" in done.stdout
    assert "2019-11-22" in done.stdout
    assert "23:59:59" in done.stdout
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x", encoding="utf-8")
    again = run_cli("demo", "--no-serve", "--dir", str(tmp_path / "used"))
    assert again.returncode == 2
    assert "--dir" in again.stderr


def test_a_demo_home_made_at_the_previous_revision_is_migrated_and_still_verifies(
    replay: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    root, _ = replay
    home = tmp_path / "kor"
    shutil.copytree(root / "kor", home)
    age(home, sqlite_url(tmp_path / "previous.db"))  # its rows, in the previous schema
    refused = run_cli("outbox", "--home", str(home))
    assert refused.returncode == 2
    assert f"run `pactshare node migrate --home {home}`" in refused.stderr
    assert run_cli("node", "migrate", "--home", str(home)).returncode == 0
    done = run_cli("audit", "verify", "--home", str(home))
    assert done.returncode == 0, done.stderr


def _start_demo(*args: str, columns: int = 80) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "pactshare", "demo", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_the_replay_shows_each_step_as_it_goes_within_80_columns() -> None:
    demo = _start_demo("--no-serve")
    assert demo.stdout is not None
    try:
        lines = []
        for line in demo.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("2016-09-09 14:00:00 KST"):
                # the first step is on screen while the nodes still replay the rest
                assert demo.poll() is None, "the demo printed its first step only at the end"
        assert demo.wait(timeout=120) == 0, demo.stderr.read() if demo.stderr else ""
    finally:
        demo.kill()
    text = "\n".join(lines)
    words = " ".join(text.split())
    assert "deleted when the demo ends" in words
    assert "2019-11-23 00:00:00 KST" in text
    assert "→ refused: R-TISA-2" in text  # no dangling route for a refusal
    assert all(cell_len(line.rstrip()) <= 80 for line in lines), text
    root = re.search(r"in (/\S+) \(deleted", words)
    assert root is not None, words
    assert not Path(root[1]).exists()


def test_sigterm_deletes_the_temporary_nodes_and_tokens_are_never_wrapped() -> None:
    demo = _start_demo(columns=40)
    assert demo.stdout is not None
    try:
        seen: list[str] = []
        for line in demo.stdout:
            seen.append(line.rstrip("\n"))
            if "Ctrl-C" in line:  # the last words before it serves (wrapped at 40 columns)
                break
        text = "\n".join(seen)
        root = Path(re.search(r"in\s+(/\S+)\s", text)[1])  # type: ignore[index]
        assert root.exists()
        tokens = [line for line in seen if "token:" in line]
        assert len(tokens) == 3, text
        assert all(re.fullmatch(r"\s+token: pst_\S{20,}", line) for line in tokens), tokens
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 0
    finally:
        demo.kill()
    assert not root.exists(), "the temporary nodes (private keys inside) were left behind"
