"""Start-up: ``pactshare check`` (without ``--home``) beside a bare Python process that does the
work ``check`` cannot avoid, importing the domain and loading the reference scenario.

Both run as fresh processes, side by side in the same run; the figure is starts per second,
so the ratio is the baseline's wall time over ``check``'s (target: ``check`` takes at most
twice as long, a ratio of at least 0.5). Run alone: ``python bench/startup.py [--quick]``.
"""

from __future__ import annotations

import subprocess
import sys

from bench.harness import Figure, main, measure_rate

CHECK = (
    sys.executable, "-m", "pactshare", "check", "--from", "KOR", "--to", "JPN",
    "--classification", "군사 II급 비밀", "--topic", "dprk-missile",
    "--at", "2019-11-22T23:59:59+09:00",
)  # fmt: skip
BARE = (
    sys.executable,
    "-c",
    "import pactshare.domain\nfrom pactshare.scenarios import load_registry\nload_registry()",
)


def _start(command: tuple[str, ...]) -> None:
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - our own command


def run(quick: bool) -> list[Figure]:
    runs = 3 if quick else 9
    ours = measure_rate(lambda: _start(CHECK), ops=1, runs=runs)
    baseline = measure_rate(lambda: _start(BARE), ops=1, runs=runs)
    return [
        Figure(
            "pactshare check start-up (no --home)",
            "starts/s",
            ours,
            "python: import domain + load scenario",
            baseline,
            0.5,
            ">= 0.5x (check <= 2x the bare process)",
        )
    ]


if __name__ == "__main__":
    main(run)
