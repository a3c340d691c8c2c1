"""Hostile agreement directories for ``pactshare verify-agreements`` (and every command that
loads agreements): each is refused with the file and what is wrong, exit 2 and one line,
never a traceback, a hang or unbounded memory; a registry too large to verify is refused
before the solver runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pactshare.errors import InputError, ScenarioError
from pactshare.limits import MAX_DEPTH, MAX_SCENARIO_FILE
from pactshare.proofs import verify
from pactshare.proofs.properties import MAX_SIZE
from pactshare.scenarios import Source, load_registry, read_sources, registry_from_sources
from tests.support import run_cli

DEEP = MAX_DEPTH * 4


def _party(levels: int) -> str:
    """A party file with ``levels`` levels."""
    rows = "".join(
        f'\n[[party.levels]]\nid = "aaa-{i}"\nrank = {i + 1}\nnames = ["L{i}"]\n'
        for i in range(levels)
    )
    return f'[party]\ncode = "AAA"\nname = "A"\ntimezone = "UTC"\n{rows}'


def _hostile(root: Path) -> dict[str, tuple[Path, str]]:
    """(directory, what the one-line error must say) by name."""
    cases: dict[str, tuple[Path, str]] = {}

    def directory(name: str, what: str) -> Path:
        path = root / name
        path.mkdir()
        cases[name] = (path, what)
        return path

    cases["not a directory"] = (root / "absent", "not a directory of agreement files")
    directory("malformed", "not valid TOML").joinpath("a.toml").write_text("[agreement\n")
    directory("deep", "nested more than").joinpath("a.toml").write_text(
        "a = " + "[" * DEEP + "]" * DEEP + "\n"
    )
    directory("unknown key", "unknown key").joinpath("a.toml").write_text("[nonsense]\nx = 1\n")
    directory("not UTF-8", "not UTF-8").joinpath("a.toml").write_bytes(b"# \xff\xfe\n")
    directory("oversized", f"larger than {MAX_SCENARIO_FILE} bytes").joinpath("a.toml").write_text(
        "#" * (MAX_SCENARIO_FILE + 1)
    )
    os.mkfifo(directory("a FIFO", "not a regular file") / "a.toml")  # reading it would block
    (directory("a device", "not a regular file") / "a.toml").symlink_to("/dev/zero")  # no end
    (directory("a dangling symlink", "cannot read the file") / "a.toml").symlink_to(root / "nil")
    (directory("a directory", "cannot read the file") / "a.toml").mkdir()
    return cases


def test_every_hostile_directory_is_refused_naming_the_file(tmp_path: Path) -> None:
    for name, (directory, what) in _hostile(tmp_path).items():
        with pytest.raises(ScenarioError, match=what) as caught:
            load_registry([directory])
        assert str(directory) in str(caught.value), name


def test_a_registry_too_large_to_verify_is_refused_before_the_solver() -> None:
    """One more party with 600 levels: 612 levels × 16 party pairs × 13 registries × 18."""
    registry = registry_from_sources([*read_sources([]), Source("aaa.toml", _party(600))])
    with pytest.raises(InputError, match=rf"too large to verify: .* more than {MAX_SIZE:,}"):
        verify(registry)


@pytest.mark.parametrize("name", ["a FIFO", "a device", "malformed", "too large"])
def test_the_command_refuses_with_exit_2_and_one_line(tmp_path: Path, name: str) -> None:
    if name == "too large":
        directory = tmp_path / "large"
        directory.mkdir()
        (directory / "aaa.toml").write_text(_party(600), encoding="utf-8")
    else:
        directory = _hostile(tmp_path)[name][0]
    done = run_cli("verify-agreements", "--agreements", str(directory))
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("pactshare: error: ")
