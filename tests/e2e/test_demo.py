"""``pactshare demo --no-serve``: the 2019 replay across three real nodes, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

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
