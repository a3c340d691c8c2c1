"""The ``pactshare`` command as a user runs it: acceptance scenarios, exit codes, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from tests.support import cli_json, run_cli

CHECK = ["check", "--from", "KOR", "--to", "JPN", "--classification", "군사 II급 비밀"]
NO_SUSPENSION = ["--drop-event", "kor-suspension-2019"]


def test_AT_1_check_json_contract_allowed_under_gsomia() -> None:
    code, out = cli_json(*CHECK, "--topic", "dprk-missile", "--at", "2019-11-22T23:59:59+09:00")
    assert code == 0
    assert out["outcome"] == "allowed"
    assert [(h["from"], h["to"], h["agreement"]) for h in out["route"]] == [
        ("KOR", "JPN", "gsomia-kor-jpn-2016")
    ]
    assert out["route"][0]["marking"] == "KOR / 極秘 (SECRET)"
    assert all(set(r) >= {"rule", "text"} and r["rule"].startswith("R-") for r in out["reasons"])
    assert isinstance(out["alternatives"], list)


@pytest.mark.parametrize("instant", ["2019-11-23T00:00:00+09:00", "2019-11-22T10:00:00-05:00"])
def test_AT_2_counterfactual_refuses_prc_naval_with_exit_1(instant: str) -> None:
    code, out = cli_json(*CHECK, "--topic", "prc-naval", "--at", instant, *NO_SUSPENSION)
    assert code == 1
    assert out["outcome"] == "refused"
    assert out["route"] == []
    assert "R-SURV-1" in {r["rule"] for r in out["reasons"]}


def test_AT_3_counterfactual_offers_the_tisa_relay_for_dprk_missile() -> None:
    code, out = cli_json(
        *CHECK, "--topic", "dprk-missile/slbm", "--at", "2019-11-23T00:00:00+09:00", *NO_SUSPENSION
    )
    assert code == 0
    assert out["outcome"] == "relay"
    assert [h["to"] for h in out["route"]] == ["USA", "JPN"]
    assert out["consents"][0]["originator"] == "KOR"


def test_AT_4_history_allows_at_midnight_and_status_is_suspended() -> None:
    code, out = cli_json(*CHECK, "--topic", "prc-naval", "--at", "2019-11-23T00:00:00+09:00")
    assert (code, out["outcome"]) == (0, "allowed")
    code, status = cli_json(
        "agreement", "status", "gsomia-kor-jpn-2016", "--at", "2019-11-23T00:00:00+09:00"
    )
    assert (code, status["status"]) == (0, "notice_suspended")


def test_AT_5_late_notice_via_add_event_rolls_over_and_is_flagged() -> None:
    code, out = cli_json(
        "agreement", "status", "gsomia-kor-jpn-2016", "--at", "2019-09-01T00:00:00+09:00",
        "--drop-event", "kor-notice-2019", "--drop-event", "kor-suspension-2019",
        "--add-event", "notice_of_termination:KOR:2019-08-25T00:00:00+09:00",
    )  # fmt: skip
    assert code == 0
    assert out["status"] == "termination_pending"
    assert out["terminates_at"] == "2020-11-23T00:00:00+09:00"
    assert any("interpretation: late notice roll-over" in n["text"] for n in out["notes"])


def test_AT_7_kr_anytime_refuses_and_flags_the_conflict() -> None:
    resume = [
        "--add-event",
        "notice_resumption:KOR:2021-01-10T12:00:00+09:00",
        "--drop-event",
        "kor-withdrawal-2023",
    ]
    args = [*CHECK, "--topic", "prc-naval", "--at", "2021-01-10T12:00:00+09:00", *resume]
    code, anytime = cli_json(*args, "--interpretation", "kr-anytime")
    assert (code, anytime["outcome"], anytime["conflict"]) == (1, "refused", True)
    code, treaty = cli_json(*args, "--interpretation", "treaty-text")
    assert (code, treaty["outcome"], treaty["conflict"]) == (0, "allowed", True)
    code, status = cli_json(
        "agreement", "status", "gsomia-kor-jpn-2016", "--at", "2021-06-01T00:00:00+09:00", *resume
    )
    assert status["terminates_at"] == "2021-11-23T00:00:00+09:00"
    assert status["conflict"]["status"] == "terminated"


def test_AT_8_status_json_contract_after_normalisation() -> None:
    code, out = cli_json(
        "agreement", "status", "gsomia-kor-jpn-2016", "--at", "2023-03-21T09:00:00+09:00"
    )
    assert code == 0
    assert {"status", "terminates_at", "next_anniversary", "notice_deadline"} <= set(out)
    assert out["status"] == "in_force"
    assert out["terminates_at"] is None
    assert out["next_anniversary"] == "2023-11-23T00:00:00+09:00"
    assert out["notice_deadline"] == "2023-08-25T00:00:00+09:00"


def test_AT_11_class_i_refused_as_outside_the_agreement() -> None:
    code, out = cli_json(
        "check",
        "--from",
        "KOR",
        "--to",
        "JPN",
        "--classification",
        "군사 I급 비밀",
        "--topic",
        "dprk-missile",
        "--at",
        "2018-01-01T00:00:00+09:00",
    )
    assert code == 1
    assert "R-CLS-2" in {r["rule"] for r in out["reasons"]}


def test_AT_13_third_country_release_needs_prior_approval() -> None:
    when = "2018-01-01T00:00:00+09:00"
    args = [
        "check", "--from", "KOR", "--holder", "JPN", "--to", "USA",
        "--classification", "kor-mil-2", "--topic", "dprk-missile", "--at", when,
    ]  # fmt: skip
    code, refused = cli_json(*args)
    assert (code, refused["outcome"]) == (1, "refused")
    code, late = cli_json(*args, "--approval", "release:USA:2018-01-02T00:00:00+09:00")
    assert (code, late["outcome"]) == (1, "refused")
    code, prior = cli_json(*args, "--approval", "release:USA:2017-12-01T00:00:00+09:00")
    assert (code, prior["outcome"]) == (0, "allowed")


def test_AT_14_purpose_change_needs_approval() -> None:
    code, out = cli_json(
        "check", "--from", "KOR", "--holder", "JPN", "--to", "JPN", "--classification", "kor-mil-2",
        "--topic", "dprk-missile", "--purpose", "export-control-litigation",
        "--provided-for", "dprk-missile-warning", "--at", "2018-01-01T00:00:00+09:00",
    )  # fmt: skip
    assert code == 1
    assert "R-PRO-2" in {r["rule"] for r in out["reasons"]}


def test_AT_23_hub_release_under_tisa_with_originator_approval() -> None:
    code, out = cli_json(
        "check", "--from", "JPN", "--holder", "USA", "--to", "KOR", "--classification", "極秘",
        "--topic", "dprk-missile", "--at", "2015-06-01T00:00:00+09:00",
        "--approval", "release:KOR:2015-05-01T00:00:00+09:00",
    )  # fmt: skip
    assert code == 0
    assert out["route"][0]["agreement"] == "tisa-2014"
    assert out["route"][0]["marking"] == "JPN / 군사 II급 비밀 (SECRET)"


def test_human_output_names_outcome_route_and_rules() -> None:
    done = run_cli(
        *CHECK, "--topic", "dprk-missile", "--at", "2019-11-23T00:00:00+09:00", *NO_SUSPENSION
    )
    assert done.returncode == 0
    assert "RELAY" in done.stdout
    assert "R-TISA-6" in done.stdout
    assert "KOR / 極秘 (SECRET)" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [*CHECK, "--topic", "dprk-missile", "--at", "2019-11-23T00:00:00"],
            "--at: '2019-11-23T00:00:00' is a naive date-time",
        ),
        (
            [*CHECK, "--topic", "dprk-missile", "--at", "yesterday"],
            "--at: 'yesterday' is not an ISO 8601",
        ),
        (
            [
                "check",
                "--from",
                "KOR",
                "--to",
                "JPN",
                "--classification",
                "SECRET",
                "--topic",
                "dprk-missile",
            ],
            "--classification: 'SECRET' is not a classification level of KOR",
        ),
        (
            [*CHECK, "--topic", "dprk-missile", "--drop-event", "nope"],
            "--drop-event: no agreement has an event 'nope'",
        ),
        (
            [*CHECK, "--topic", "dprk-missile", "--add-event", "nap:KOR:2020-01-01T00:00:00+09:00"],
            "unknown kind 'nap'",
        ),
        (
            [
                *CHECK,
                "--topic",
                "dprk-missile",
                "--approval",
                "bless:USA:2020-01-01T00:00:00+09:00",
            ],
            "--approval",
        ),
        (
            [*CHECK, "--topic", "dprk-missile", "--interpretation", "jp-anytime"],
            "--interpretation: 'jp-anytime'",
        ),
        (
            [*CHECK, "--topic", "dprk-missle", "--at", "2019-11-23T00:00:00+09:00"],
            "--topic: unknown topic 'dprk-missle'; did you mean dprk-missile",
        ),
        (
            [*CHECK, "--topic", "dprk-missile", "--topic", "prc-navel"],
            "--topic: unknown topic 'prc-navel'; did you mean prc-naval?",
        ),
        (["agreement", "status", "no-such-agreement"], "unknown agreement 'no-such-agreement'"),
        (
            ["agreement", "show", "x", "--agreements", "/nonexistent"],
            "/nonexistent: not a directory",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_it(args: list[str], message: str) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_bad_agreement_file_is_named_with_key_path(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        '[agreement]\nid = "x"\ntitle = "X"\nkind = "bilateral"\nparties = ["KOR", "JPN"]\n'
        '[agreement.terms]\ntimezone = "Asia/Seoul"\n[[agreement.equivalence]]\nlabel = "S"\n'
        'KOR = ["kor-mil-2"]\nJPN = ["jpn-nope"]\n',
        encoding="utf-8",
    )
    done = run_cli("agreement", "list", "--agreements", str(tmp_path))
    assert done.returncode == 2
    assert (
        f"{tmp_path / 'bad.toml'}: agreement.equivalence[0].JPN: unknown level 'jpn-nope'"
        in done.stderr
    )


def test_unknown_option_is_a_usage_error_with_exit_2() -> None:
    done = run_cli("check", "--frm", "KOR")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_agreement_list_show_and_timeline_json() -> None:
    code, listed = cli_json("agreement", "list", "--at", "2019-11-23T00:00:00+09:00")
    assert code == 0
    assert {a["id"]: a["status"] for a in listed}["gsomia-kor-jpn-2016"] == "notice_suspended"
    code, shown = cli_json("agreement", "show", "tisa-2014")
    assert (shown["kind"], shown["hub"], shown["classification_cap"]) == ("hub", "USA", "SECRET")
    code, timeline = cli_json("agreement", "timeline", "gsomia-kor-jpn-2016", *NO_SUSPENSION)
    assert [band["status"] for band in timeline["bands"]] == [
        "in_force",
        "termination_pending",
        "terminated",
    ]
    assert timeline["bands"][-1]["start"] == "2019-11-23T00:00:00+09:00"


def test_a_users_own_agreement_directory_is_used(tmp_path: Path) -> None:
    from pactshare.scenarios import REFERENCE_DIR  # noqa: PLC0415 - only this test copies it

    text = (REFERENCE_DIR / "gsomia-kor-jpn-2016.toml").read_text(encoding="utf-8")
    (tmp_path / "mine.toml").write_text(
        text.replace('id = "gsomia-kor-jpn-2016"', 'id = "kor-jpn-draft"'), encoding="utf-8"
    )
    code, out = cli_json(
        "agreement",
        "status",
        "kor-jpn-draft",
        "--agreements",
        str(tmp_path),
        "--at",
        "2020-01-01T00:00:00+09:00",
    )
    assert (code, out["agreement"]) == (0, "kor-jpn-draft")


@pytest.mark.parametrize(
    "command",
    [[], ["agreement"], ["agreement", "list"], ["agreement", "show"], ["agreement", "status"],
     ["agreement", "timeline"], ["check"], ["demo"]],
)  # fmt: skip
def test_every_command_has_help(command: list[str]) -> None:
    done = run_cli(*command, "--help")
    assert done.returncode == 0
    assert "Usage" in done.stdout


class Case(NamedTuple):
    """One acceptance scenario run through ``pactshare check``."""

    scenario: str
    args: str  # "FROM TO LEVEL TOPIC INSTANT [more options…]"
    exit_code: int
    outcome: str
    expect: str  # a marking on the route, or a rule id among the reasons


T2015 = "2015-06-01T00:00:00+09:00"
T2018 = "2018-01-01T00:00:00+09:00"
CASES = [
    Case("AT-9 before GSOMIA", "KOR JPN kor-mil-2 dprk-missile 2016-11-22T12:00:00+09:00", 0, "relay", "R-EIF-1"),
    Case("AT-9 before TISA", "KOR JPN kor-mil-2 dprk-missile 2014-12-28T12:00:00+09:00", 1, "refused", "R-EIF-1"),
    Case("AT-10 特定秘密", f"JPN KOR 特定秘密 prc-naval {T2018}", 0, "allowed", "JPN / 군사 II급 비밀 (SECRET)"),
    Case("AT-10 秘", f"JPN KOR 秘 prc-naval {T2018}", 0, "allowed", "JPN / 군사 III급 비밀 (CONFIDENTIAL)"),
    Case("AT-10 III급", f"KOR JPN 군사III급비밀 prc-naval {T2018}", 0, "allowed", "KOR / 秘 (CONFIDENTIAL)"),
    Case("AT-11 機密", f"JPN KOR 機密 prc-naval {T2018}", 1, "refused", "R-CLS-2"),
    Case("AT-22 hub only", f"JPN KOR 極秘 dprk-missile {T2015}", 0, "relay", "R-TISA-5"),
    Case("AT-23 blocked", f"JPN KOR 極秘 dprk-missile {T2015} --holder USA", 1, "refused", "R-TISA-6"),
    Case("AT-24 scope", f"JPN KOR 極秘 prc-naval {T2015}", 1, "refused", "R-TISA-2"),
    Case("AT-25 voluntary", f"KOR JPN kor-mil-2 dprk-nuclear {T2015}", 0, "relay", "R-TISA-8"),
    Case("AT-26 cap", f"KOR JPN kor-mil-1 dprk-missile {T2015}", 1, "refused", "R-TISA-10"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.scenario for case in CASES])
def test_acceptance_scenarios_through_the_cli(case: Case) -> None:
    sender, recipient, level, topic, instant, *extra = case.args.split()
    exit_code, out = cli_json(
        "check", "--from", sender, "--to", recipient, "--classification", level,
        "--topic", topic, "--at", instant, *extra,
    )  # fmt: skip
    assert (exit_code, out["outcome"]) == (case.exit_code, case.outcome)
    found = {h["marking"] for h in out["route"]} | {r["rule"] for r in out["reasons"]}
    assert case.expect in found


def test_AT_6_status_auto_renews_with_no_operator_action() -> None:
    code, out = cli_json(
        "agreement", "status", "gsomia-kor-jpn-2016", "--at", "2018-11-23T00:00:00+09:00"
    )
    assert (code, out["status"]) == (0, "in_force")
    assert out["term"]["number"] == 3
    assert out["next_anniversary"] == "2019-11-23T00:00:00+09:00"
