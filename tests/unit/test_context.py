"""Context instruments: recorded with dated, marked events; never read by a decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from pactshare.domain import (
    Confidence,
    InstrumentKind,
    Prepared,
    Request,
    decide,
)
from pactshare.scenarios import load_registry


def test_the_seeds_other_instruments_are_recorded_with_dates_marks_and_sources() -> None:
    instruments = load_registry().instruments
    assert sorted(instruments) == [
        "claims-kor-jpn-1965",
        "export-control-jpn-2019",
        "sma-usa-kor-2019",
    ]
    measure = instruments["export-control-jpn-2019"]
    assert measure.kind is InstrumentKind.MEASURE
    assert measure.by == "JPN"
    assert [e.shown for e in measure.events][:2] == ["2019-07-01", "2019-08-28"]
    assert all("RULES.md" in e.source for e in measure.events[:2])
    claims = instruments["claims-kor-jpn-1965"]
    assert claims.kind is InstrumentKind.AGREEMENT
    # The seeds give only the year: shown as a year, marked [L], the seed named.
    assert claims.events[0].shown == "1965"
    assert claims.events[0].confidence is Confidence.LOW
    assert "seed 000" in claims.events[0].source
    sma = instruments["sma-usa-kor-2019"]
    assert sma.parties == ("USA", "KOR")
    assert sma.events[0].confidence is Confidence.LOW


def test_instruments_change_no_decision() -> None:
    full = load_registry()
    bare = replace(full, instruments={})
    request = Request(
        originator="KOR", recipient="JPN", classification="kor-mil-2", topics=("prc-naval",)
    )
    for at in (datetime(2019, 8, 28, tzinfo=UTC), datetime(2019, 11, 23, tzinfo=UTC)):
        assert decide(request, Prepared(full), at) == decide(request, Prepared(bare), at)
