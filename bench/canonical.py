"""Canonical JSON: ``pactshare.canonical.dumps`` beside the ``rfc8785`` library it stands for.

    python bench/canonical.py [--quick]

Canonicalisations per second of a typical seal label (``Label.as_json``) and of a typical
audit entry (an access decision with its reasons, as ``Entry.to_bytes`` encodes it), each
next to ``rfc8785.dumps`` of the same value, the two timed in turn in the same run. Both give
the same bytes (checked before timing). Target: twice the library's rate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rfc8785
from bench.harness import Figure, interleaved, main

from pactshare import canonical
from pactshare.audit import ENTRY_DOMAIN, Entry, EntryKind
from pactshare.seal import Label
from pactshare.seal._encoding import parse_utc_text

AT = parse_utc_text("2026-11-23T09:00:00Z")


def _label() -> object:
    return Label.from_mapping(
        {
            "policy": "gsomia-kor-jpn-2016",
            "originator": "KOR",
            "classification": "군사Ⅱ급비밀",
            "topics": ["dprk-missile/slbm", "dprk-missile/irbm"],
            "releasable_to": ["JPN", "USA"],
            "caveats": ["no-further-release"],
            "item_id": "kor-2026-000417",
            "created_at": "2026-11-23T09:00:00Z",
            "purpose": "early warning",
        }
    ).as_json()


def _entry() -> object:
    reason = {
        "agreement_id": "gsomia-kor-jpn-2016",
        "article": "Article 4(a)",
        "effect": "allow",
        "rule": "R-REL-2",
        "text": "JPN holds a clearance equivalent to 군사Ⅱ급비밀 (極秘)",
    }
    entry = Entry(
        EntryKind.ACCESS,
        AT,
        "analyst-7",
        "kor-2026-000417",
        {
            "granted": True,
            "reasons": [reason, {**reason, "rule": "R-PRO-1", "article": "Article 7"}],
        },
    )
    return json.loads(entry.to_bytes()[len(ENTRY_DOMAIN) :])


def _figure(name: str, value: object, *, batch: int, runs: int) -> Figure:
    if canonical.dumps(value) != rfc8785.dumps(value):  # type: ignore[arg-type]
        raise AssertionError(f"{name}: canonical.dumps and rfc8785.dumps differ")
    rates = interleaved(
        {
            "ours": lambda: [canonical.dumps(value) for _ in range(batch)],
            "library": lambda: [rfc8785.dumps(value) for _ in range(batch)],  # type: ignore[arg-type]
        },
        ops=batch,
        runs=runs,
    )
    return Figure(
        figure=f"canonical JSON of {name}",
        unit="values/s",
        ours=rates["ours"],
        baseline_name="rfc8785.dumps",
        baseline=rates["library"],
        target_ratio=2.0,
        target=">= 2.00x rfc8785",
    )


def run(quick: bool) -> list[Figure]:
    runs, batch = (3, 2_000) if quick else (9, 10_000)
    return [
        _figure("a label", _label(), batch=batch, runs=runs),
        _figure("an audit entry", _entry(), batch=batch, runs=runs),
    ]


if __name__ == "__main__":
    main(run)
