"""Hostile instrument files ([instrument] tables): each refused with its file, key and what is
wrong, nothing half-loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from pactshare.errors import ScenarioError
from pactshare.scenarios import REFERENCE_DIR, load_registry

EXPORT_FILE = REFERENCE_DIR / "context-export-control-jpn-2019.toml"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = EXPORT_FILE.read_text(encoding="utf-8").replace(
        'id = "export-control-jpn-2019"', 'id = "my-measure"'
    )
    assert old in text
    directory = tmp_path / "agreements"
    directory.mkdir()
    (directory / "mine.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ('by = "JPN"\n', "", "instrument.by", "a measure names the party that took it"),
        ('by = "JPN"', 'by = "USA"', "instrument.by", "a measure names the party that took it"),
        ('parties = ["JPN", "KOR"]', 'parties = ["JPN", "DEU"]', "instrument.parties[1]", "DEU"),
        ('confidence = "M"', 'confidence = "certain"', "instrument.events[0].confidence", "H"),
        ("2019-07-01T00:00:00+09:00", "2019-07-01T00:00:00", "instrument.events[0].at", "naive"),
        ("2019-07-01T00:00:00+09:00", "2019-12-01T00:00:00+09:00", "instrument.events", "order"),
        (
            'source = "seed 002 (report dated 2019-11-28)"',
            'source = " "',
            "instrument.events[3].source",
            "names its source",
        ),
        ('kind = "measure"', 'kind = "treaty"', "instrument.kind", "agreement"),
        ('id = "my-measure"', 'id = "tisa-2014"', "instrument.id", "id of an agreement"),
        ('subject = "export', 'colour = "red"\nsubject = "export', "instrument.colour", "unknown"),
    ],
)
def test_a_bad_instrument_file_names_file_key_and_problem(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    directory = _variant(tmp_path, old, new)
    with pytest.raises(ScenarioError) as caught:
        load_registry([directory])
    assert caught.value.file == str(directory / "mine.toml")
    assert caught.value.key == key
    assert message in str(caught.value)


def test_an_instrument_id_is_unique(tmp_path: Path) -> None:
    directory = tmp_path / "agreements"
    directory.mkdir()
    (directory / "mine.toml").write_text(EXPORT_FILE.read_text(encoding="utf-8"), "utf-8")
    with pytest.raises(ScenarioError, match="already defined in"):
        load_registry([directory])
