"""The README's examples, run as written by a reader who activated the venv (its ``bin`` first
on ``PATH``), each section in the order the README gives them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def _script(section: str) -> str:
    """The first ``sh`` block of the README section with this heading."""
    body = README.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return body.split("```sh\n", 1)[1].split("```", 1)[0]


def _run(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)  # what `. .venv/bin/activate` puts first
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "120"}
    env.pop("PACTSHARE_HOME", None)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607 - bash from PATH, as a reader would
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def test_readme_asking_pactshare_runs_as_written(tmp_path: Path) -> None:
    done = _run(_script("Asking pactshare"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ALLOWED" in done.stdout  # AT-1, one second before the scheduled expiry
    assert "RELAY" in done.stdout  # AT-3, at midnight had Seoul not suspended its notice


@pytest.mark.slow
def test_readme_sealing_then_running_a_node_run_as_written(tmp_path: Path) -> None:
    sealed = _run(_script("Sealing an item"), tmp_path)
    assert sealed.returncode == 0, sealed.stderr
    node = _run(_script("Running a node"), tmp_path)
    assert node.returncode == 0, node.stderr
    assert (tmp_path / "report-opened.txt").read_bytes() == (tmp_path / "report.txt").read_bytes()
    assert "verified" in node.stdout
