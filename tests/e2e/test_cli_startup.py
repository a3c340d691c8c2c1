"""A command loads only what it uses: ``check`` without ``--home`` and ``--help`` start without
the database, the web server or the templates (their speed is measured in bench/startup.py;
here only what is imported, which does not depend on the machine's load)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "alembic", "fastapi", "uvicorn", "jinja2", "starlette", "psycopg")
PROBE = """
import atexit, json, runpy, sys
heavy = {heavy!r}
atexit.register(lambda: print(json.dumps(sorted(m for m in heavy if m in sys.modules)),
                              file=sys.stderr))
sys.argv = ["pactshare", *{args!r}]
runpy.run_module("pactshare", run_name="__main__")
"""


def _loaded(*args: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=list(args))],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return done.returncode, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--from", "KOR", "--to", "JPN", "--classification", "군사 II급 비밀",
         "--topic", "dprk-missile", "--at", "2019-11-22T23:59:59+09:00"),
        ("agreement", "list", "--at", "2019-11-23T00:00:00+09:00"),
        ("--help",),
        ("--version",),
    ],
)  # fmt: skip
def test_a_command_without_a_node_loads_no_database_server_or_templates(
    args: tuple[str, ...],
) -> None:
    code, loaded = _loaded(*args)
    assert code == 0
    assert loaded == []


def test_a_command_on_a_node_still_loads_the_database() -> None:
    code, loaded = _loaded("outbox", "--home", "/nonexistent/pactshare-home")
    assert code == 2  # no node there: a one-line error, after loading what a node needs
    assert "sqlalchemy" in loaded
