"""``pactshare visit request|approve|list``, ``open --visit`` and ``authority list`` as a user
runs them: a request
is signed and queued, the rules' refusals exit 1 naming the rule, bad input exits 2 (refuse
and the two-node flow run in tests/integration/test_node_visits.py and the API tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import GSOMIA, run_cli

REQUEST = (
    "visit", "request", "JPN", "--agreement", GSOMIA,
    "--from-authority", "kor-mnd", "--to-authority", "jpn-mod",
    "--purpose", "DPRK missile warning liaison", "--facility", "jpn-mod-ichigaya",
    "--topic", "dprk-missile", "--highest-level", "極秘", "--visitor", "Kim Min-su",
)  # fmt: skip
DATES = ("--starts", "2030-02-10T09:00:00+09:00", "--ends", "2030-02-12T18:00:00+09:00")


@pytest.mark.slow
def test_a_request_is_signed_listed_refused_where_it_breaks_a_rule(tmp_path: Path) -> None:
    kor = tmp_path / "kor"
    assert run_cli("node", "init", "--party", "KOR", "--home", str(kor)).returncode == 0
    made = run_cli(*REQUEST, *DATES, "--home", str(kor), "--json")
    assert made.returncode == 0, made.stderr
    visit_id = json.loads(made.stdout)["body"]["visit_id"]
    listed = run_cli("visit", "list", "--home", str(kor), "--json")
    [shown] = json.loads(listed.stdout)
    assert (shown["id"], shown["state"], shown["highest_level"]) == (
        visit_id,
        "requested",
        "jpn-gokuhi",
    )
    approve = run_cli("visit", "approve", visit_id, "--home", str(kor))
    assert approve.returncode == 1
    assert "R-VIS-1: permission to visit JPN's facility is granted only by JPN" in approve.stderr
    backwards = ("--starts", DATES[3], "--ends", DATES[1])
    reversed_ = run_cli(*REQUEST, *backwards, "--home", str(kor))
    assert reversed_.returncode == 1
    assert "R-VIS-1: the visit's dates are reversed" in reversed_.stderr
    out = str(tmp_path / "out")
    unknown = run_cli(
        "open",
        "item-x",
        "--as",
        "Kim Min-su",
        "--visit",
        "visit-none",
        "-o",
        out,
        "--home",
        str(kor),
    )
    assert unknown.returncode == 2
    assert "no visit 'visit-none'" in unknown.stderr
    authorities = run_cli("authority", "list", "--home", str(kor), "--json")
    shown = {(a["party"], a["id"]): a for a in json.loads(authorities.stdout)}
    assert shown["KOR", "kor-mnd"]["effective_from"] == "2016-11-23T00:00:00+09:00"
