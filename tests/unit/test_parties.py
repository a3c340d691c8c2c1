"""National classification schemes: names, ids and ranks (§2.3)."""

from __future__ import annotations

import pytest

from pactshare.domain import (
    ClassificationLevel,
    ClassificationScheme,
    Party,
    normalise_party_code,
)
from pactshare.errors import InvariantError, PolicyError
from tests.support import reference


@pytest.mark.parametrize(
    ("party", "name", "level_id"),
    [
        ("KOR", "군사 II급 비밀", "kor-mil-2"),
        ("KOR", "군사II급비밀", "kor-mil-2"),
        ("KOR", "  군사  III급  비밀 ", "kor-mil-3"),
        ("KOR", "kor-mil-1", "kor-mil-1"),
        ("JPN", "特定秘密", "jpn-tokutei-himitsu"),
        ("JPN", "取扱注意", "jpn-toriatsukai-chui"),
        ("USA", "top secret", "usa-top-secret"),
        ("USA", "SECRET", "usa-secret"),
    ],
)
def test_levels_resolve_by_national_name_or_id_ignoring_whitespace(
    party: str, name: str, level_id: str
) -> None:
    assert reference().party(party).level(name).id == level_id


def test_R_CLS_3_tokutei_himitsu_has_the_rank_of_gokuhi() -> None:
    jpn = reference().party("JPN")
    assert jpn.level("特定秘密").rank == jpn.level("極秘").rank == 2


def test_unknown_level_names_the_known_ones() -> None:
    with pytest.raises(PolicyError, match=r"kor-mil-2 \(군사 II급 비밀\)"):
        reference().party("KOR").level("SECRET")


def test_scheme_rejects_a_name_given_to_two_levels() -> None:
    with pytest.raises(InvariantError, match="names both"):
        ClassificationScheme(
            (
                ClassificationLevel("a-1", 1, ("ONE",)),
                ClassificationLevel("a-2", 2, ("one",)),
            )
        )


def test_scheme_rejects_levels_out_of_rank_order() -> None:
    with pytest.raises(InvariantError, match="highest rank"):
        ClassificationScheme(
            (ClassificationLevel("a-2", 2, ("TWO",)), ClassificationLevel("a-1", 1, ("ONE",)))
        )


def test_party_code_must_be_iso_alpha_3() -> None:
    scheme = ClassificationScheme((ClassificationLevel("x-1", 1, ("X",)),))
    with pytest.raises(InvariantError, match="alpha-3"):
        Party("Korea", "Korea", "Asia/Seoul", scheme)


@pytest.mark.parametrize(("typed", "code"), [("kor", "KOR"), ("  Jpn\t", "JPN"), ("USA", "USA")])
def test_a_typed_party_code_folds_to_its_one_form(typed: str, code: str) -> None:
    assert normalise_party_code(typed) == code


def test_the_registry_finds_a_party_by_a_code_in_any_case() -> None:
    assert reference().party(" kor ").code == "KOR"
