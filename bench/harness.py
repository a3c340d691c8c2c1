"""What every benchmark shares: measuring a rate, one row of the table, printing and saving it.

A benchmark module exposes ``run(quick: bool) -> list[Figure]``; ``bench/run.py`` runs them
all. Each figure is compared with a baseline measured in the same run, never with a constant.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path


class Ticking:
    """A node's clock that moves one millisecond per reading, so every entry has its own
    instant (benchmarks make thousands of entries in a second)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@dataclass(frozen=True)
class Rate:
    """A measured rate: the median of several timed runs after a warm-up, and their spread."""

    median: float
    low: float
    high: float

    @property
    def spread(self) -> float:
        """Relative spread of the runs around the median (0.05 = ±5 %)."""
        return (self.high - self.low) / (2 * self.median) if self.median else 0.0


def measure_rate(work: Callable[[], object], *, ops: int, runs: int = 5, warmup: int = 1) -> Rate:
    """Time ``work`` (which performs ``ops`` operations) ``runs`` times; return ops per second."""
    for _ in range(warmup):
        work()
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
        rates.append(ops / elapsed if elapsed > 0 else float("inf"))
    return Rate(median=statistics.median(rates), low=min(rates), high=max(rates))


def interleaved(works: dict[str, Callable[[], object]], *, ops: int, runs: int) -> dict[str, Rate]:
    """Rates of several works timed in turn, round after round, so that each sees the same
    machine load (this machine's two cores are shared): ops per second of each."""
    for work in works.values():  # warm-up
        work()
    rates: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(runs):
        for name, work in works.items():
            start = time.perf_counter()
            work()
            rates[name].append(ops / (time.perf_counter() - start))
    return {
        name: Rate(statistics.median(values), min(values), max(values))
        for name, values in rates.items()
    }


@dataclass(frozen=True)
class Figure:
    """One row of the benchmark table: our figure beside its same-run baseline."""

    figure: str
    unit: str
    ours: Rate
    baseline_name: str
    baseline: Rate
    target_ratio: float | None
    target: str
    lower_is_better: bool = False  # a time, not a rate: the ratio is baseline / ours

    @property
    def ratio(self) -> float:
        """How many times better than the baseline (above 1: better), whatever the unit."""
        faster, slower = (
            (self.baseline.median, self.ours.median)
            if self.lower_is_better
            else (self.ours.median, self.baseline.median)
        )
        return faster / slower if slower else 0.0

    @property
    def meets_target(self) -> bool | None:
        return None if self.target_ratio is None else self.ratio >= self.target_ratio

    def as_json(self) -> dict[str, object]:
        row = asdict(self)
        row["ratio"] = self.ratio
        row["meets_target"] = self.meets_target
        return row


def _fmt(rate: Rate) -> str:
    value = f"{rate.median:,.0f}" if rate.median >= 100 else f"{rate.median:.3g}"
    return f"{value} ±{rate.spread * 100:.0f}%"


def print_table(figures: Sequence[Figure]) -> None:
    """Print the table: figure, our value, the baseline, the ratio, the target."""
    header = ("figure", "unit", "ours", "baseline", "baseline value", "ratio", "target", "met")
    rows = [
        (
            f.figure,
            f.unit,
            _fmt(f.ours),
            f.baseline_name,
            _fmt(f.baseline),
            f"{f.ratio:.2f}x",
            f.target,
            {True: "yes", False: "NO", None: "-"}[f.meets_target],
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def save_json(figures: Sequence[Figure], path: Path) -> None:
    """Write the table as JSON so that figures can be compared across versions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "figures": [f.as_json() for f in figures],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(run: Callable[[bool], list[Figure]], argv: Sequence[str] | None = None) -> None:
    """Run one benchmark module on its own: ``python bench/NAME.py [--quick]``."""
    import sys  # noqa: PLC0415 - only the standalone entry point reads argv

    args = list(sys.argv[1:] if argv is None else argv)
    print_table(run("--quick" in args))
