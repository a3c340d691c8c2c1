"""``bench/run.py`` finds every benchmark module by itself (the README's benchmark command)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _runner() -> ModuleType:
    sys.path.insert(0, str(BENCH.parent))  # bench modules import `bench.harness`
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_run_discovers_every_module_but_the_runner_and_the_harness() -> None:
    names = [path.stem for path in _runner().discover()]
    assert "decisions" in names
    assert "run" not in names
    assert "harness" not in names
    assert names == sorted(names)


def test_bench_run_discovers_a_new_module_without_registration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = _runner()
    (tmp_path / "seal.py").write_text("def run(quick):\n    return []\n", encoding="utf-8")
    monkeypatch.setattr(runner, "BENCH", tmp_path)
    assert [path.stem for path in runner.discover()] == ["seal"]
    figures, failed = runner.run_all(runner.discover(), quick=True)
    assert (figures, failed) == ([], [])


def test_a_module_needing_a_missing_package_is_skipped_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = _runner()
    (tmp_path / "cedar.py").write_text("import not_installed_here\n", encoding="utf-8")
    (tmp_path / "seal.py").write_text("def run(quick):\n    return []\n", encoding="utf-8")
    monkeypatch.setattr(runner, "BENCH", tmp_path)
    assert runner.run_all(runner.discover(), quick=True) == ([], [])
    assert "needs the Python package 'not_installed_here'" in capsys.readouterr().err


def test_a_run_that_measured_nothing_leaves_the_results_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = _runner()
    (tmp_path / "seal.py").write_text("def run(quick):\n    return []\n", encoding="utf-8")
    monkeypatch.setattr(runner, "BENCH", tmp_path)
    kept = tmp_path / "results.json"
    kept.write_text('{"figures": ["the last full run"]}\n', encoding="utf-8")
    assert runner.main(["--quick", "--output", str(kept)]) == 1
    assert kept.read_text(encoding="utf-8") == '{"figures": ["the last full run"]}\n'
