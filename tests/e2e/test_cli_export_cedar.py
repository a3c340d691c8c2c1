"""``pactshare export cedar`` on the reference scenario: files, validation, and a decision."""

from __future__ import annotations

import json
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


def test_export_cedar_writes_the_four_files(exported: Path) -> None:
    names = sorted(p.name for p in exported.iterdir())
    assert names == ["context.json", "entities.json", "policies.cedar", "schema.cedarschema"]


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


def test_export_cedar_rejects_an_output_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    result = _export(target)
    assert result.returncode == 2
    assert "--output" in result.stderr
    assert "Traceback" not in result.stderr
