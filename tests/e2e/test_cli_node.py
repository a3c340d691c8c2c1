"""Two nodes driven through the ``pactshare`` command, as their operators would."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_process import run_pactshare

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN"]
copy_limit = 2
"""


def pactshare(
    *args: str, clock: str = "2019-11-22T23:00:00+09:00"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PACTSHARE_CLOCK": clock, "COLUMNS": "200", "NO_COLOR": "1"}
    return run_pactshare(list(args), env, None, 120)


@pytest.mark.slow
def test_hand_carried_package_from_kor_to_jpn_then_opened(tmp_path: Path) -> None:
    kor, jpn = str(tmp_path / "kor"), str(tmp_path / "jpn")
    assert pactshare("node", "init", "--party", "KOR", "--home", kor).returncode == 0
    assert pactshare("node", "init", "--party", "JPN", "--home", jpn).returncode == 0
    assert pactshare("directory", "add", f"{jpn}/public.key", "--home", kor).returncode == 0
    assert pactshare("directory", "add", f"{kor}/public.key", "--home", jpn).returncode == 0
    (tmp_path / "item.txt").write_text("telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    registered = pactshare(
        "register",
        str(tmp_path / "item.txt"),
        "--label",
        str(tmp_path / "label.toml"),
        "--home",
        kor,
    )
    item = registered.stdout.strip()
    assert registered.returncode == 0, registered.stderr
    package = str(tmp_path / "pkg.zip")
    unassured = pactshare("provide", item, "--to", "JPN", "--home", kor, "-o", package)
    assert unassured.returncode == 1  # AT-16: not before JPN's assurance is on record
    assert "R-ACC-4: no assurance from JPN is on record" in unassured.stderr
    assurance = str(tmp_path / "assurance.json")
    given = pactshare(
        "assurance", "give", "--to", "KOR", "--agreement", "gsomia-kor-jpn-2016",
        "--authority", "jpn-mod", "--recipient", "JPN MOD registry", "--level", "極秘",
        "--topic", "dprk-missile", "--purpose", "DPRK missile warning", "--days", "30",
        "--home", jpn, "-o", assurance, "--json",
    )  # fmt: skip
    assert given.returncode == 0, given.stderr
    assert pactshare("assurance", "receive", assurance, "--home", kor).returncode == 0
    provided = pactshare("provide", item, "--to", "JPN", "--home", kor, "-o", package, "--json")
    assert provided.returncode == 0, provided.stderr
    assert json.loads(provided.stdout)["decision"]["outcome"] == "allowed"
    received = pactshare("receive", package, "--home", jpn, "--json")
    assert received.returncode == 0, received.stderr
    assert json.loads(received.stdout)["marking"] == "KOR / 極秘 (SECRET)"
    assert Path(package + ".receipt.json").exists()
    pactshare(
        "person",
        "add",
        "Sato",
        "--clearance",
        "極秘",
        "--need-to-know",
        "dprk-missile",
        "--home",
        jpn,
    )
    opened = pactshare("open", item, "--as", "Sato", "--home", jpn, "-o", str(tmp_path / "out.txt"))
    assert opened.returncode == 0, opened.stderr
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "telemetry"
    inbox = json.loads(pactshare("inbox", "--home", jpn, "--json").stdout)
    assert [row["item_id"] for row in inbox] == [item]
    # Copies and translations (R-REP-1, R-TRA-1): within KOR's copy_limit of 2, by Sato.
    copied = pactshare("copy", item, "--as", "Sato", "--home", jpn, "--json")
    assert copied.returncode == 0, copied.stderr
    assert json.loads(copied.stdout)["label"]["derived_by"] == "JPN"
    (tmp_path / "ko.txt").write_text("원격 측정", encoding="utf-8")
    ko = ("--language", "ko", "--file", str(tmp_path / "ko.txt"))
    translated = pactshare("translate", item, *ko, "--person", "Sato", "--home", jpn)
    assert translated.returncode == 0, translated.stderr
    assert "translation 2 of 2" in translated.stdout
    assert "이 번역물에는 제공당사자(KOR)의 군사비밀정보가 포함되어 있음." in translated.stdout
    over = pactshare("copy", item, "--as", "Sato", "--home", jpn)
    assert over.returncode == 1
    assert "R-REP-1: KOR allows 2 copies and translations" in over.stderr
    french = pactshare(
        "translate", item, "--language", "fr", *ko[2:], "--as", "Sato", "--home", jpn
    )
    assert french.returncode == 2
    assert "--language 'fr': no note text" in french.stderr
    # JPN withdraws its assurance; the courier brings the withdrawal to KOR (R-ACC-4).
    ident = json.loads(given.stdout)["body"]["assurance_id"]
    withdrawal = str(tmp_path / "withdrawal.json")
    withdrawn = pactshare("assurance", "withdraw", ident, "--home", jpn, "-o", withdrawal)
    assert withdrawn.returncode == 0, withdrawn.stderr
    filed = pactshare("assurance", "receive", withdrawal, "--home", kor, "--json")
    assert json.loads(filed.stdout)["assurance_id"] == ident


@pytest.mark.slow
def test_refusals_exit_1_and_bad_input_exits_2(tmp_path: Path) -> None:
    kor = str(tmp_path / "kor")
    pactshare("node", "init", "--party", "KOR", "--home", kor)
    (tmp_path / "item.txt").write_text("x", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    item = pactshare(
        "register",
        str(tmp_path / "item.txt"),
        "--label",
        str(tmp_path / "label.toml"),
        "--home",
        kor,
    ).stdout.strip()
    refused = pactshare(
        "provide", item, "--to", "USA", "--home", kor, "-o", str(tmp_path / "p.zip")
    )
    assert refused.returncode == 1
    assert "R-PRO-1" in refused.stderr
    assert not (tmp_path / "p.zip").exists()
    for args, message in [
        (("provide", "no-such-item", "--to", "JPN", "--home", kor), "no item 'no-such-item'"),
        (("inbox", "--home", str(tmp_path / "nowhere")), "is not a pactshare node"),
        (("node", "init", "--party", "KOR", "--home", kor), "already holds a node"),
        (("node", "init", "--party", "XYZ", "--home", str(tmp_path / "x")), "--party: 'XYZ'"),
        (("receive", str(tmp_path / "item.txt"), "--home", kor), "not a transfer package"),
        (
            (
                "register",
                str(tmp_path / "missing.txt"),
                "--label",
                str(tmp_path / "label.toml"),
                "--home",
                kor,
            ),
            "cannot be read",
        ),
    ]:
        done = pactshare(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
