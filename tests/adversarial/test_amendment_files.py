"""Amendments carrying terms in agreement files (R-AMD-1, ``[agreement.events.amendment]``):
a good one loads and takes effect at its instant; each hostile one is refused with its file,
key path and what is wrong, nothing half-loaded."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pactshare.errors import ScenarioError
from pactshare.scenarios import REFERENCE_DIR, load_registry

AMENDMENT = """
[[agreement.events]]
id = "amendment-2024"
kind = "amendment"
at = 2024-03-01T00:00:00+09:00
source = "exchange of notes (fictional)"

[agreement.events.amendment]
scope = ["dprk-missile"]
notice_days = 30

[[agreement.events.amendment.equivalence]]
label = "SECRET"
KOR = ["kor-mil-2"]
JPN = ["jpn-gokuhi", "jpn-tokutei-himitsu"]
"""
INDEX = 5  # the amendment follows the file's five events


def _write(tmp_path: Path, old: str = "", new: str = "", *, in_base: bool = False) -> Path:
    """A copy of GSOMIA with the amendment, ``old`` replaced by ``new`` in the amendment (or
    in the agreement's own keys)."""
    base = (REFERENCE_DIR / "gsomia-kor-jpn-2016.toml").read_text(encoding="utf-8")
    base = base.replace('id = "gsomia-kor-jpn-2016"', 'id = "my-gsomia"')
    amendment = AMENDMENT
    if in_base:
        assert old in base
        base = base.replace(old, new, 1)
    else:
        assert old in amendment
        amendment = amendment.replace(old, new, 1)
    directory = tmp_path / "agreements"
    directory.mkdir()
    (directory / "mine.toml").write_text(base + amendment, encoding="utf-8")
    return directory


def test_an_amendment_in_a_file_changes_the_terms_from_its_instant(tmp_path: Path) -> None:
    agreement = load_registry([_write(tmp_path)]).agreement("my-gsomia")
    seoul = ZoneInfo("Asia/Seoul")
    before = agreement.as_of(datetime(2024, 2, 29, 23, 59, 59, tzinfo=seoul))
    after = agreement.as_of(datetime(2024, 3, 1, tzinfo=seoul))
    assert (before.scope, len(before.equivalence), before.terms.notice_days) == (("*",), 2, 90)
    assert (after.scope, len(after.equivalence), after.terms.notice_days) == (
        ("dprk-missile",),
        1,
        30,
    )


KEY = f"agreement.events[{INDEX}].amendment"


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ('scope = ["dprk-missile"]', "scope = []", f"{KEY}.scope", "at least 1"),
        ('scope = ["dprk-missile"]', 'scope = ["Bad Topic"]', f"{KEY}.scope[0]", "topic"),
        ('scope = ["dprk-missile"]', 'scope = ["dprk-missle"]', f"{KEY}.scope[0]", "unknown"),
        ('scope = ["dprk-missile"]', 'scope = "dprk-missile"', f"{KEY}.scope", "list"),
        (
            'KOR = ["kor-mil-2"]\nJPN = ["jpn-gokuhi", "jpn-',
            'KOR = ["kor-nope"]\nJPN = ["jpn-',
            f"{KEY}.equivalence[0].KOR",
            "unknown level",
        ),
        (
            'KOR = ["kor-mil-2"]\nJPN = ["jpn-gokuhi", "jpn-',
            'USA = ["usa-secret"]\nJPN = ["jpn-',
            f"{KEY}.equivalence[0].USA",
            "not a party",
        ),
        (
            "notice_days = 30",
            'notice_days = 30\nclassification_cap = "TOP"',
            f"{KEY}.classification_cap",
            "not the label",
        ),
        ("notice_days = 30", "notice_days = -1", f"{KEY}.notice_days", "greater than or equal"),
        ("notice_days = 30", "notice_days = 30\nterm_years = 0", f"{KEY}.term_years", "greater"),
        ("notice_days = 30", "notice_days = 30\ncolour = 1", f"{KEY}.colour", "unknown key"),
        ('kind = "amendment"', 'kind = "signature"', KEY, "only an amendment carries"),
        (
            "at = 2024-03-01T00:00:00+09:00",
            "at = 2024-03-01T00:00:00",
            f"agreement.events[{INDEX}].at",
            "naive",
        ),
        (
            'label = "SECRET"\nKOR',
            'label = "SECRET"\nKOR = ["kor-mil-2"]\n\n[[agreement.events.amendment.equivalence]]\nlabel = "X"\nKOR',
            f"{KEY}.equivalence[1].KOR",
            "overlap",
        ),
        (
            'label = "SECRET"\nKOR',
            'label = "CONFIDENTIAL"\nKOR = ["kor-mil-3"]\n\n[[agreement.events.amendment.equivalence]]\nlabel = "CONFIDENTIAL"\nKOR',
            f"{KEY}.equivalence",
            "same label",
        ),
    ],
)
def test_a_bad_amendment_names_file_key_and_problem(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    directory = _write(tmp_path, old, new)
    with pytest.raises(ScenarioError) as caught:
        load_registry([directory])
    assert caught.value.file == str(directory / "mine.toml")
    assert caught.value.key == key, str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize("in_base", [False, True])
def test_a_row_cell_that_is_not_a_list_of_levels_is_refused(tmp_path: Path, in_base: bool) -> None:
    """In the agreement's own table as in an amendment's (it was a traceback before)."""
    directory = _write(tmp_path, 'KOR = ["kor-mil-2"]', "KOR = 1", in_base=in_base)
    with pytest.raises(ScenarioError) as caught:
        load_registry([directory])
    where = "agreement.equivalence[0]" if in_base else f"{KEY}.equivalence[0]"
    assert caught.value.key == where
    assert "each row maps a party code to a list of level ids" in str(caught.value)


def test_an_amendment_with_no_terms_is_refused(tmp_path: Path) -> None:
    start = AMENDMENT.index("[agreement.events.amendment]")
    directory = _write(tmp_path, AMENDMENT[start:], "[agreement.events.amendment]\n")
    with pytest.raises(ScenarioError) as caught:
        load_registry([directory])
    assert caught.value.key == KEY
    assert "at least one term" in str(caught.value)


def test_a_cap_the_amended_table_drops_is_refused(tmp_path: Path) -> None:
    directory = _write(
        tmp_path,
        'scope = ["*"]',
        'scope = ["*"]\nclassification_cap = "CONFIDENTIAL"',
        in_base=True,
    )
    with pytest.raises(ScenarioError) as caught:
        load_registry([directory])
    assert caught.value.key == f"{KEY}.equivalence"
    assert "the cap 'CONFIDENTIAL'" in str(caught.value)
