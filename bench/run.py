"""Run every benchmark and print one table: ``python bench/run.py [--quick] [NAME ...]``.

Every ``bench/*.py`` module (other than this runner and the harness) that exposes
``run(quick: bool) -> list[Figure]`` is discovered and run in name order; ``NAME`` arguments
(module names such as ``decisions``) restrict the run. The table is also written as JSON:
``bench/results/latest.json`` for a full run, ``bench/results/quick.json`` with ``--quick``
(a smoke run that finishes within a minute), or ``--output PATH``.

A module that fails is reported and the others still run; the exit status is then 1. A module
that needs a package this environment lacks (``decisions`` needs ``cedarpy``, from the test
extras) is skipped with a message. A run that measured nothing never overwrites a table.
Benchmarks are never timing assertions: nothing here fails because a target is missed.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import cast

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, print_table, save_json

BENCH = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"run", "harness"}


def discover(names: Sequence[str] = ()) -> list[Path]:
    """The benchmark module files, in name order (only ``names`` when given)."""
    paths = [
        path
        for path in sorted(BENCH.glob("*.py"))
        if path.stem not in NOT_BENCHMARKS and not path.stem.startswith("_")
    ]
    if names:
        unknown = set(names) - {path.stem for path in paths}
        if unknown:
            raise SystemExit(f"bench/run.py: no benchmark module named {', '.join(unknown)}")
        paths = [path for path in paths if path.stem in names]
    return paths


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def run_all(paths: Sequence[Path], *, quick: bool) -> tuple[list[Figure], list[str]]:
    """Run each module's ``run``; return the figures and the modules that failed."""
    figures: list[Figure] = []
    failed: list[str] = []
    for path in paths:
        started = time.perf_counter()
        print(f"::: {path.stem}", file=sys.stderr)
        try:
            module = _load(path)
        except ModuleNotFoundError as exc:
            if (exc.name or "").partition(".")[0] in {"pactshare", "bench"}:
                traceback.print_exc()  # our own code is broken: a failure, not a missing extra
                failed.append(path.stem)
                continue
            print(
                f"::: {path.stem}: needs the Python package {exc.name!r}, which is not installed"
                " (pip install -e '.[test]'); skipped",
                file=sys.stderr,
            )
            continue
        try:
            runner = getattr(module, "run", None)
            if not callable(runner):
                print(f"::: {path.stem}: no run(quick) function; skipped", file=sys.stderr)
                continue
            figures.extend(cast(Callable[[bool], list[Figure]], runner)(quick))
        except Exception:  # one broken benchmark must not hide the others
            traceback.print_exc()
            failed.append(path.stem)
        print(f"::: {path.stem}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return figures, failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, within a minute")
    parser.add_argument("--output", type=Path, help="where to write the JSON table")
    parser.add_argument("names", nargs="*", help="only these modules (e.g. decisions)")
    args = parser.parse_args(argv)
    figures, failed = run_all(discover(args.names), quick=args.quick)
    default = "quick.json" if args.quick else "latest.json"
    output = args.output or BENCH / "results" / default
    if not figures:
        print(f"nothing was measured; {output} is left as it was", file=sys.stderr)
        return 1
    print_table(figures)
    save_json(figures, output)
    print(f"\nwritten to {output}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
