"""The security label: strict parsing, canonical bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pactshare.errors import LabelError
from pactshare.seal import Label
from tests.seal_support import AT, make_label

GOOD = """
policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "kor-mil-2"
topics = ["dprk-missile/slbm", "dprk-nuclear/test"]
releasable_to = ["USA", "JPN"]
"""


def test_label_file_fills_item_id_and_creation_instant(tmp_path: Path) -> None:
    path = tmp_path / "label.toml"
    path.write_text(GOOD, encoding="utf-8")
    label = Label.from_toml_file(path, item_id="item-9", created_at=AT)
    assert (label.item_id, label.created_at) == ("item-9", AT)
    assert label.releasable_to == ("JPN", "USA")


def test_missing_field_is_reported_with_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "label.toml"
    path.write_text(GOOD.replace('classification = "kor-mil-2"\n', ""), encoding="utf-8")
    with pytest.raises(LabelError, match=r"label\.toml: classification: required field"):
        Label.from_toml_file(path, item_id="i", created_at=AT)


def test_unknown_field_is_reported_with_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "label.toml"
    path.write_text(GOOD + 'colour = "red"\n', encoding="utf-8")
    with pytest.raises(LabelError, match=r"label\.toml: colour: unknown field"):
        Label.from_toml_file(path, item_id="i", created_at=AT)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "label.toml"
    path.write_text("policy = ", encoding="utf-8")
    with pytest.raises(LabelError, match=r"label\.toml: not valid TOML"):
        Label.from_toml_file(path, item_id="i", created_at=AT)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("originator", "Korea"),
        ("releasable_to", ["JP"]),
        ("releasable_to", []),
        ("topics", "nk"),
        ("topics", ["a", "a"]),
        ("classification", ""),
        ("created_at", "2026-11-23T09:00:00"),
    ],
)
def test_ill_typed_field_is_rejected(key: str, value: object) -> None:
    with pytest.raises(LabelError, match=key):
        make_label(**{key: value})


def test_equal_labels_have_equal_canonical_bytes_whatever_the_list_order() -> None:
    one = make_label(topics=["dprk-nuclear", "dprk-missile"], releasable_to=["USA", "JPN"])
    two = make_label(topics=["dprk-missile", "dprk-nuclear"], releasable_to=["JPN", "USA"])
    assert one.canonical_bytes() == two.canonical_bytes()
    assert Label.from_canonical_bytes(one.canonical_bytes()) == one


def test_canonical_bytes_are_rfc8785_json() -> None:
    label = make_label(purpose="early warning")
    assert label.canonical_bytes() == (
        b'{"caveats":[],"classification":"kor-mil-2","created_at":"2026-11-23T09:00:00Z",'
        b'"item_id":"item-0001","originator":"KOR","policy":"gsomia-kor-jpn-2016",'
        b'"purpose":"early warning","releasable_to":["JPN","USA"],"topics":["dprk-missile/slbm"]}'
    )


def test_non_canonical_label_bytes_are_rejected() -> None:
    data = make_label().canonical_bytes().replace(b'{"caveats"', b'{ "caveats"')
    with pytest.raises(LabelError, match="canonical"):
        Label.from_canonical_bytes(data)


def test_label_constructor_checks_its_values() -> None:
    with pytest.raises(LabelError, match="originator"):
        Label(
            policy="p",
            originator="kor",
            classification="c",
            topics=(),
            releasable_to=("JPN",),
            item_id="i",
            created_at=AT,
        )


def test_label_constructor_refuses_a_naive_creation_instant() -> None:
    with pytest.raises(LabelError, match="created_at"):
        Label(
            policy="p",
            originator="KOR",
            classification="c",
            topics=(),
            releasable_to=("JPN",),
            item_id="i",
            created_at=AT.replace(tzinfo=None),
        )


def test_the_256_character_limit_counts_code_points_not_bytes() -> None:
    hangul = "비" * 256  # 768 bytes of UTF-8, 256 code points
    assert make_label(policy=hangul).policy == hangul
    emoji = "\U0001f6f0" * 256  # outside the BMP: 512 UTF-16 code units, 256 code points
    assert make_label(policy=emoji).policy == emoji
    with pytest.raises(LabelError, match="policy"):
        make_label(policy="비" * 257)
