"""An agreement, its terms, rows and events refuse values that break their invariants, naming
the field at fault; the what-ifs refuse an unknown or a repeated event."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from pactshare.domain import Agreement, EquivalenceRow, Event, EventKind, Terms
from pactshare.domain.agreements import AgreementInvalid
from pactshare.errors import InvariantError, PolicyError
from tests.support import GSOMIA, TISA, at, reference


def _gsomia() -> Agreement:
    return reference().agreement(GSOMIA)


def _tisa() -> Agreement:
    return reference().agreement(TISA)


def _row(label: str, **levels: tuple[str, ...]) -> EquivalenceRow:
    return EquivalenceRow(label=label, levels=levels)


@pytest.mark.parametrize(
    ("base", "change", "key", "words"),
    [
        (_gsomia, {"parties": ("KOR", "KOR")}, "parties", "listed twice"),
        (_gsomia, {"parties": ("KOR", "JPN", "USA")}, "parties", "exactly two parties"),
        (_gsomia, {"hub": "KOR"}, "hub", "no hub"),
        (_tisa, {"hub": None}, "hub", "names its hub among its parties"),
        (_tisa, {"hub": "GBR"}, "hub", "names its hub among its parties"),
        (_tisa, {"parties": ("USA", "KOR")}, "parties", "at least three parties"),
        (_gsomia, {"scope": ("*", "Not A Topic")}, "scope[1]", "must be lowercase words"),
        (_gsomia, {"classification_cap": "NO-ROW"}, "classification_cap", "not the label"),
    ],
)
def test_an_agreement_names_the_field_that_breaks_an_invariant(
    base: Any, change: dict[str, Any], key: str, words: str
) -> None:
    with pytest.raises(AgreementInvalid, match=words) as caught:
        replace(base(), **change)
    assert caught.value.key == key


def test_equivalence_rows_with_one_label_or_a_shared_level_are_refused() -> None:
    with pytest.raises(AgreementInvalid, match="same label") as caught:
        replace(_gsomia(), equivalence=(_row("A", KOR=("k",)), _row("A", JPN=("j",))))
    assert caught.value.key == "equivalence"
    with pytest.raises(AgreementInvalid, match="overlap") as caught:
        replace(_gsomia(), equivalence=(_row("A", KOR=("k",)), _row("B", KOR=("k", "l"))))
    assert caught.value.key == "equivalence[1].KOR"


def test_a_row_needs_a_level_for_each_party_it_names() -> None:
    with pytest.raises(InvariantError, match="no level for JPN"):
        _row("A", KOR=("k",), JPN=())


def test_events_need_unique_ids_in_time_order_and_aware_instants() -> None:
    first, second = _gsomia().events[:2]
    with pytest.raises(AgreementInvalid, match="not unique") as caught:
        replace(_gsomia(), events=(first, replace(second, id=first.id)))
    assert caught.value.key == "events"
    earlier = replace(second, at=first.at - timedelta(seconds=1))
    with pytest.raises(AgreementInvalid, match="out of order") as caught:
        replace(_gsomia(), events=(first, earlier))
    assert caught.value.key == "events[1].at"
    with pytest.raises(InvariantError, match="naive"):
        Event("naive", EventKind.SIGNATURE, datetime(2019, 1, 1))


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"term_years": 0}, "term_years must be 1 to"),
        ({"term_years": 101}, "term_years must be 1 to"),
        ({"notice_days": -1}, "notice_days must be 0 to"),
        ({"notice_days": 36_501}, "notice_days must be 0 to"),
        ({"auto_renew": True}, "auto_renew needs term_years"),
    ],
)
def test_terms_stay_within_their_bounds(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(InvariantError, match=words):
        Terms(timezone="UTC", **fields)


def test_what_ifs_refuse_an_unknown_event_and_a_repeated_id() -> None:
    with pytest.raises(PolicyError, match="no event 'nothing'"):
        _gsomia().without_event("nothing")
    known = _gsomia().events[0]
    with pytest.raises(InvariantError, match="already exists"):
        _gsomia().with_event(Event(known.id, EventKind.AMENDMENT, at("2020-01-01T00:00Z")))


def test_an_article_is_cited_with_its_agreement_or_the_agreement_alone() -> None:
    agreement = replace(_gsomia(), articles={"duration": "Art. 21"})
    assert agreement.article("duration") == f"{GSOMIA} Art. 21"
    assert agreement.article("unknown clause") == GSOMIA
