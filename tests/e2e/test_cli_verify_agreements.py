"""``pactshare verify-agreements`` as a user runs it: the reference registry proved (exit 0),
the example of docs/verify-agreements.md refuted (exit 1) with a counterexample that
``pactshare check`` confirms, and the missing extra named (exit 2)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from tests.support import cli_json, run_cli

DOC = (Path(__file__).parents[2] / "docs" / "verify-agreements.md").read_text(encoding="utf-8")
IDS = [
    "no-direct-provision-after-termination",
    "no-relay-without-consent",
    "no-marking-below-equivalent",
    "no-topic-outside-scope",
]


def test_the_reference_registry_is_proved_with_exit_0() -> None:
    code, out = cli_json("verify-agreements")
    assert code == 0
    assert out["proved"] is True
    assert "translation" in out["proves"]
    assert [p["id"] for p in out["properties"]] == IDS
    for found in out["properties"]:
        assert found["proved"] is True
        assert found["counterexample"] is None
        assert found["checked"] > 0
        assert all(rule.startswith("R-") for rule in found["rules"])
    assert len(out["interpretations"]) == 4
    done = run_cli("verify-agreements")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("PROVED") == 4
    assert "translation" in done.stdout


def test_the_documented_revived_agreement_is_a_counterexample_check_confirms(
    tmp_path: Path,
) -> None:
    example = DOC.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "kor-jpn-revived.toml").write_text(example, encoding="utf-8")
    code, out = cli_json("verify-agreements", "--agreements", str(tmp_path))
    assert code == 1
    assert out["proved"] is False
    verdicts = {p["id"]: p for p in out["properties"]}
    assert [i for i in IDS if not verdicts[i]["proved"]] == [IDS[0]]
    found = verdicts[IDS[0]]["counterexample"]
    assert found["at"] == "2005-12-31T15:00:00+00:00"  # as the document says
    assert found["about"] == "kor-jpn-revived"
    assert {found["request"]["from"], found["request"]["to"]} == {"KOR", "JPN"}
    assert [hop["agreement"] for hop in found["route"]] == ["kor-jpn-revived"]
    assert found["decide"] == {"agrees": True, "decision": found["decide"]["decision"]}
    assert found["decide"]["decision"]["outcome"] == "allowed"
    # The engine, asked through `check` as the output says, allows the provision too.
    words = shlex.split(found["check"])
    assert words[:2] == ["pactshare", "check"]
    code, decision = cli_json(*words[1:])
    assert (code, decision["outcome"]) == (0, "allowed")
    assert [hop["agreement"] for hop in decision["route"]] == ["kor-jpn-revived"]
    done = run_cli("verify-agreements", "--agreements", str(tmp_path))
    assert done.returncode == 1
    assert "COUNTEREXAMPLE no-direct-provision-after-termination" in done.stdout
    assert "decide agrees: allowed" in done.stdout


def test_without_z3_the_command_names_the_extra_with_exit_2() -> None:
    script = (
        "import sys; sys.modules['z3'] = None; sys.argv = ['pactshare', 'verify-agreements']; "
        "from pactshare.cli.main import run; run()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "pactshare: error: the proofs need the z3 solver, which is not installed: "
        "pip install 'pactshare[proofs]'"
    ]
