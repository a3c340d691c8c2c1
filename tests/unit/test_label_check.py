"""The check of a security label against the agreements (domain.labels.check_label): each
field it reads is refused with the file and the field named, and a sound label passes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from pactshare.domain.labels import check_label
from pactshare.errors import LabelError
from tests.support import GSOMIA, reference


@dataclass(frozen=True, slots=True)
class Fields:
    policy: str = GSOMIA
    originator: str = "KOR"
    classification: str = "군사 II급 비밀"
    topics: tuple[str, ...] = ("dprk-missile",)
    releasable_to: tuple[str, ...] = ("JPN",)


def test_a_sound_label_gives_the_originators_level() -> None:
    level = check_label(Fields(), reference(), source="label.toml", signer="KOR", to=["JPN"])
    assert level.id == reference().party("KOR").level("군사 II급 비밀").id


@pytest.mark.parametrize(
    ("change", "signer", "to", "key", "words"),
    [
        ({"policy": "no-such-agreement"}, "KOR", (), "policy", "unknown policy"),
        ({}, "JPN", (), "originator", "cannot originate a label signed by JPN"),
        ({"originator": "USA"}, "USA", (), "policy", "USA is not a party to"),
        ({"classification": "no-such-level"}, "KOR", (), "classification", "no-such-level"),
        ({"topics": ("no-such-topic",)}, "KOR", (), "topics", "no-such-topic"),
        ({"releasable_to": ("JPN", "XXX")}, "KOR", (), "releasable_to", "unknown party 'XXX'"),
        ({}, "KOR", ("JPN", "USA"), "releasable_to", "sealed for USA"),
    ],
)
def test_each_field_is_refused_naming_the_file_and_the_field(
    change: dict[str, Any], signer: str, to: tuple[str, ...], key: str, words: str
) -> None:
    label = replace(Fields(), **change)
    with pytest.raises(LabelError) as caught:
        check_label(label, reference(), source="label.toml", signer=signer, to=to)
    assert (caught.value.file, caught.value.key) == ("label.toml", key)
    assert words in str(caught.value)
