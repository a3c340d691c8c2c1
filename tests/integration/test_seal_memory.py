"""Memory stays bounded by a few chunks whatever the payload size (a bound, not a timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("seal_rss_child.py")
GIB = 1024**3
LIMIT_KIB = 100 * 1024


def _peak_rss_kib(size: int) -> int:
    """Run the child; return the peak RSS it measured of itself (see seal_rss_child.py)."""
    done = subprocess.run(
        [sys.executable, str(CHILD), str(size)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


def test_small_round_trip_in_a_child_process_reports_its_peak_rss() -> None:
    assert 0 < _peak_rss_kib(3 * 1024 * 1024 + 5) < LIMIT_KIB


@pytest.mark.slow
def test_seal_then_open_of_one_gib_stays_under_100_mib_of_rss() -> None:
    small = _peak_rss_kib(3 * 1024 * 1024 + 5)
    large = _peak_rss_kib(GIB)
    assert large < LIMIT_KIB
    assert large - small < 16 * 1024  # a few chunks more than a tiny item, not the payload
