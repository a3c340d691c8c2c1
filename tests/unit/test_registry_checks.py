"""A registry checks its agreements against its parties and each other when it is built, and
its look-ups name what they do not know."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from pactshare.domain import EquivalenceRow, Registry
from pactshare.errors import PolicyError
from tests.support import GSOMIA, reference


def _with(**change: Any) -> Registry:
    agreement = replace(reference().agreement(GSOMIA), **change)
    return Registry(reference().parties, {**reference().agreements, GSOMIA: agreement})


def _row(**levels: tuple[str, ...]) -> EquivalenceRow:
    return EquivalenceRow(label="ROW", levels=levels)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"parties": ("KOR", "ZZZ")}, "parties[1]: unknown party 'ZZZ'"),
        ({"equivalence": (_row(KOR=("kor-mil-2",), USA=("x",)),)}, "USA is not a party"),
        ({"equivalence": (_row(KOR=("no-such-level",)),)}, "unknown level 'no-such-level'"),
        ({"protection_from": ("no-such-agreement",)}, "unknown agreement 'no-such-agreement'"),
    ],
)
def test_an_agreement_that_does_not_fit_the_registry_is_refused_naming_the_field(
    change: dict[str, Any], words: str
) -> None:
    with pytest.raises(PolicyError, match=rf"agreement {GSOMIA}: .*{words}".replace("[", r"\[")):
        _with(**change)


def test_an_event_by_a_stranger_to_the_agreement_is_refused() -> None:
    first = reference().agreement(GSOMIA).events[0]
    with pytest.raises(PolicyError, match=r"events\[0\]\.party: USA is not a party"):
        _with(events=(replace(first, party="USA"),))


def test_look_ups_name_what_they_do_not_know() -> None:
    with pytest.raises(PolicyError, match=r"unknown party 'ZZZ'; known: .*KOR"):
        reference().party("ZZZ")
    with pytest.raises(PolicyError, match=f"unknown agreement 'nothing'; known: .*{GSOMIA}"):
        reference().agreement("nothing")
    with pytest.raises(PolicyError, match="no-such-topic"):
        reference().check_topics(["dprk-missile", "no-such-topic"])
    assert reference().check_topics(["dprk-missile"]) == ("dprk-missile",)


def test_without_a_vocabulary_any_well_formed_topic_is_taken() -> None:
    registry = Registry(reference().parties, reference().agreements)
    assert registry.check_topics(["any-topic/at-all"]) == ("any-topic/at-all",)
    with pytest.raises(PolicyError, match="must be lowercase words"):
        registry.check_topics(["Not A Topic"])
