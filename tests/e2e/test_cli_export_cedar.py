"""``pactshare export cedar`` on the reference scenario: files, validation, and a decision."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cedarpy
import pytest

from pactshare.cedar import cedar_request
from pactshare.domain import DEFAULT_INTERPRETATION, Request, parse_instant
from pactshare.scenarios import load_registry

EXPIRY = "2019-11-23T00:00:00+09:00"
PACTSHARE = Path(sys.executable).parent / "pactshare"  # the console script of this venv


def _export(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PACTSHARE), "export", "cedar", "-o", str(tmp_path), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cedar")
    result = _export(out, "--at", EXPIRY)
    assert result.returncode == 0, result.stderr
    return out


def test_export_cedar_writes_the_five_files(exported: Path) -> None:
    names = sorted(p.name for p in exported.iterdir())
    assert names == [
        "context.json",
        "entities.json",
        "policies.cedar",
        "policies.json",
        "schema.cedarschema",
    ]


def test_policies_json_is_the_text_policy_set_under_our_ids(exported: Path) -> None:
    """Cedar's own conversion of policies.cedar gives, policy by policy, what policies.json
    holds; only the ids differ (Cedar's policyN against our @id values)."""
    text = (exported / "policies.cedar").read_text(encoding="utf-8")
    converted = json.loads(cedarpy.policies_to_json_str(text))["staticPolicies"]
    ours = json.loads((exported / "policies.json").read_text(encoding="utf-8"))
    assert list(ours["staticPolicies"].values()) == list(converted.values())
    assert list(ours["staticPolicies"]) == [p["annotations"]["id"] for p in converted.values()]


def test_entities_hold_every_topic_of_the_vocabulary_under_its_parent(exported: Path) -> None:
    entities = json.loads((exported / "entities.json").read_text(encoding="utf-8"))
    parents = {
        e["uid"]["id"]: [p["id"] for p in e["parents"]]
        for e in entities
        if e["uid"]["type"] == "Topic"
    }
    vocabulary = load_registry().topics
    assert vocabulary is not None
    assert set(parents) == {"*", *vocabulary.topics}
    assert parents["dprk-missile/slbm"] == ["dprk-missile"]
    assert parents["dprk-missile"] == ["*"]
    assert parents["*"] == []


def test_export_cedar_applies_the_what_if_events_to_the_context(tmp_path: Path) -> None:
    result = _export(tmp_path, "--at", EXPIRY, "--drop-event", "kor-suspension-2019")
    assert result.returncode == 0, result.stderr
    context = json.loads((tmp_path / "context.json").read_text(encoding="utf-8"))
    assert context["status"]["gsomia-kor-jpn-2016"] == "terminated"  # AT-2
    bad = _export(tmp_path, "--add-event", "nap:KOR:2020-01-01T00:00:00+09:00")
    assert bad.returncode == 2
    assert "--add-event 'nap:KOR:2020-01-01T00:00:00+09:00': unknown kind" in bad.stderr


def test_export_cedar_output_passes_cedars_validator(exported: Path) -> None:
    schema = (exported / "schema.cedarschema").read_text(encoding="utf-8")
    result = cedarpy.validate_policies((exported / "policies.cedar").read_text("utf-8"), schema)
    assert result.validation_passed, [str(e) for e in result.errors]
    entities = (exported / "entities.json").read_text(encoding="utf-8")
    assert len(cedarpy.Entities.from_json_str(entities, schema)) > 0


def test_export_cedar_context_carries_the_statuses_at_the_instant(exported: Path) -> None:
    context = json.loads((exported / "context.json").read_text(encoding="utf-8"))
    assert context["at"] == EXPIRY
    assert context["status"]["gsomia-kor-jpn-2016"] == "notice_suspended"  # AT-4


def test_export_cedar_allows_at_4_with_the_exported_files(exported: Path) -> None:
    """AT-4 (actual history): KOR→JPN SECRET at the scheduled expiry is allowed in Cedar too."""
    registry = load_registry()
    at = parse_instant(EXPIRY, what="test")
    request = Request("KOR", "JPN", "군사 II급 비밀", ("dprk-missile/slbm",))
    context = json.loads((exported / "context.json").read_text(encoding="utf-8"))
    translated = cedar_request(
        request, registry, at, DEFAULT_INTERPRETATION, status=context["status"]
    )
    base = json.loads((exported / "entities.json").read_text(encoding="utf-8"))
    known = {(e["uid"]["type"], e["uid"]["id"]) for e in base}
    entities = json.dumps(base + translated.entities_beyond(known))
    policies = (exported / "policies.cedar").read_text(encoding="utf-8")
    answer = cedarpy.is_authorized(translated.request, policies, entities)
    assert answer.allowed, answer.diagnostics.errors


def _bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607 - bash from PATH, as a reader would
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{PACTSHARE.parent}{os.pathsep}{os.environ['PATH']}"},
        check=False,
    )


def test_the_readmes_cedar_recipe_as_written_answers_as_check_does(tmp_path: Path) -> None:
    """The README's "Export to Cedar" commands and Python recipe, run verbatim: Cedar's answer
    is the one the README prints, names our policy, and agrees with ``check``."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Export to Cedar", 1)[1].split("\n## ", 1)[0]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    recipe = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert _bash(script, tmp_path).returncode == 0
    check = "pactshare check" + script.split("pactshare check", 1)[1].rstrip() + " --json"
    decided = json.loads(_bash(check, tmp_path).stdout)
    answer = subprocess.run(
        [sys.executable, "-c", recipe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert answer.returncode == 0, answer.stderr
    printed = answer.stdout.strip()
    assert f"# {printed}\n" in recipe  # the README shows the answer it gets
    assert printed.startswith("Allow ") == (decided["outcome"] in ("allowed", "relay"))
    assert decided["outcome"] == "relay"
    assert f"{decided['route'][0]['agreement']} KOR->USA->JPN" in printed


def test_export_cedar_rejects_an_output_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    result = _export(target)
    assert result.returncode == 2
    assert "--output" in result.stderr
    assert "Traceback" not in result.stderr
