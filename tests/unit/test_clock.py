"""The clock seam: :mod:`pactshare.node.clock` is the only module that reads a clock or
``PACTSHARE_CLOCK``; everything else is handed its instant."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import pactshare
from pactshare.errors import InputError
from pactshare.node.clock import CLOCK_ENV, node_clock, real_now

SRC = Path(pactshare.__file__).parent
SEAM = SRC / "node" / "clock.py"
# A migration is frozen history run once by the store, which may not import the node: it
# stamps the tokens it finds with the real time of the upgrade.
MIGRATION = SRC / "store" / "migrations" / "versions" / "0006_sessions.py"
READS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}


def _clock_reads(path: Path) -> list[str]:
    """Where ``path`` reads a clock (``time.time``, ``datetime.now``, …) or names
    ``PACTSHARE_CLOCK``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in READS
        ):
            found.append(f"{node.value.id}.{node.attr} at line {node.lineno}")
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [f"from time import {a.name}" for a in node.names if ("time", a.name) in READS]
        elif isinstance(node, ast.Constant) and node.value == CLOCK_ENV:
            found.append(f"{CLOCK_ENV} at line {node.lineno}")
    return found


def test_only_the_clock_module_reads_a_clock() -> None:
    for path in sorted(SRC.rglob("*.py")):
        if path not in (SEAM, MIGRATION):
            assert _clock_reads(path) == [], f"{path.relative_to(SRC)} reads a clock"


@pytest.mark.parametrize(
    "planted",
    [
        "import time\nstamp = time.time()\n",
        "from time import monotonic\n",
        "from datetime import UTC, datetime\nnow = datetime.now(UTC)\n",
        "import os\nfixed = os.environ.get('PACTSHARE_CLOCK')\n",
    ],
)
def test_the_rule_catches_a_planted_clock_read(planted: str, tmp_path: Path) -> None:
    module = tmp_path / "planted.py"
    module.write_text(planted, encoding="utf-8")
    assert _clock_reads(module) != []


def test_the_node_clock_is_the_instant_pactshare_clock_names() -> None:
    clock = node_clock({CLOCK_ENV: "2019-11-22T23:59:59+09:00"})
    assert clock() == datetime(2019, 11, 22, 14, 59, 59, tzinfo=UTC)


def test_the_node_clock_reads_its_environment_at_each_call() -> None:
    environ: dict[str, str] = {}
    clock = node_clock(environ)
    assert abs(clock() - real_now()) < timedelta(seconds=5)
    environ[CLOCK_ENV] = "2016-11-23T10:00:00+09:00"
    assert clock() == datetime(2016, 11, 23, 1, 0, tzinfo=UTC)


def test_the_node_clock_refuses_an_instant_without_its_offset() -> None:
    with pytest.raises(InputError, match=CLOCK_ENV):
        node_clock({CLOCK_ENV: "2019-11-22T23:59:59"})()
