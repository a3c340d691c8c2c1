"""The agreement-file loader: good files load, bad ones are named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pactshare.domain import AgreementKind, Status, status_at
from pactshare.errors import ScenarioError
from pactshare.scenarios import REFERENCE_DIR, load_registry

GSOMIA_FILE = REFERENCE_DIR / "gsomia-kor-jpn-2016.toml"


def test_reference_scenario_loads_three_parties_and_four_agreements() -> None:
    registry = load_registry()
    assert sorted(registry.parties) == ["JPN", "KOR", "USA"]
    assert sorted(registry.agreements) == [
        "gsomia-kor-jpn-2016",
        "gsomia-usa-jpn-2007",
        "gsomia-usa-kor-1987",
        "tisa-2014",
    ]
    tisa = registry.agreement("tisa-2014")
    assert tisa.kind is AgreementKind.HUB
    assert tisa.hub == "USA"
    assert not tisa.binding


def test_reference_events_carry_the_ids_tools_use() -> None:
    gsomia = load_registry().agreement("gsomia-kor-jpn-2016")
    ids = {event.id: event.at.isoformat() for event in gsomia.events}
    assert ids["kor-notice-2019"] == "2019-08-23T16:00:00+09:00"
    assert ids["kor-suspension-2019"] == "2019-11-22T18:00:00+09:00"
    assert ids["kor-withdrawal-2023"] == "2023-03-21T09:00:00+09:00"


def _user_dir(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    directory = tmp_path / "agreements"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the GSOMIA file under another id, with one edit."""
    text = GSOMIA_FILE.read_text(encoding="utf-8").replace(
        'id = "gsomia-kor-jpn-2016"', 'id = "my-gsomia"'
    )
    assert old in text
    return _user_dir(tmp_path, text.replace(old, new, 1))


def test_a_user_agreement_in_the_same_form_loads_beside_the_reference(tmp_path: Path) -> None:
    directory = _variant(tmp_path, "notice_days = 90", "notice_days = 180")
    registry = load_registry([directory])
    mine = registry.agreement("my-gsomia")
    assert mine.terms.notice_days == 180
    report = status_at(mine, mine.events[1].at)
    assert report.status is Status.IN_FORCE


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        (
            'KOR = ["kor-mil-2"]',
            'KOR = ["kor-mil-9"]',
            "agreement.equivalence[0].KOR",
            "unknown level 'kor-mil-9'",
        ),
        (
            'KOR = ["kor-mil-3"]',
            'KOR = ["kor-mil-2"]',
            "agreement.equivalence[1].KOR",
            "equivalence rows overlap",
        ),
        (
            "at = 2019-11-22T18:00:00+09:00",
            "at = 2019-01-01T00:00:00+09:00",
            "agreement.events[3].at",
            "events out of order",
        ),
        (
            "at = 2019-08-23T16:00:00+09:00",
            "at = 2019-08-23T16:00:00",
            "agreement.events[2].at",
            "naive date-time",
        ),
        (
            'parties = ["KOR", "JPN"]',
            'parties = ["KOR", "XYZ"]',
            "agreement.parties[1]",
            "unknown party 'XYZ'",
        ),
        ('kind = "bilateral"', 'kind = "trilateral"', "agreement.kind", "Input should be"),
        (
            "notice_days = 90",
            "notice_days = 90\nnotice_weeks = 13",
            "agreement.terms.notice_weeks",
            "unknown key",
        ),
        (
            'timezone = "Asia/Seoul"',
            'timezone = "Asia/Narnia"',
            "agreement.terms.timezone",
            "not an IANA time zone",
        ),
        (
            'kind = "notice_suspension"',
            'kind = "notice_pause"',
            "agreement.events[3].kind",
            "Input should be",
        ),
        ('party = "KOR"', 'party = "DEU"', "agreement.events[2].party", "DEU is not a party"),
    ],
)
def test_bad_agreement_file_names_file_key_and_problem(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    directory = _variant(tmp_path, old, new)
    with pytest.raises(ScenarioError) as caught:
        load_registry([directory])
    assert caught.value.file == str(directory / "mine.toml")
    assert caught.value.key == key
    assert message in str(caught.value)


def test_malformed_toml_is_reported_with_its_file(tmp_path: Path) -> None:
    directory = _user_dir(tmp_path, "[agreement\nid = 1\n")
    with pytest.raises(ScenarioError, match=r"mine\.toml: not valid TOML"):
        load_registry([directory])


def test_a_file_with_no_party_agreement_or_topics_table_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="exactly one"):
        load_registry([_user_dir(tmp_path, "# nothing here\n")])


def test_duplicate_agreement_id_names_both_files(tmp_path: Path) -> None:
    directory = tmp_path / "dup"
    directory.mkdir()
    shutil.copy(GSOMIA_FILE, directory / "copy.toml")
    with pytest.raises(ScenarioError, match="already defined in"):
        load_registry([directory])


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not a directory"):
        load_registry([tmp_path / "absent"])


def test_a_new_party_file_is_usable_by_a_new_agreement(tmp_path: Path) -> None:
    directory = _user_dir(
        tmp_path,
        '[party]\ncode = "DEU"\nname = "Germany"\ntimezone = "Europe/Berlin"\n'
        '[[party.levels]]\nid = "deu-geheim"\nrank = 2\nnames = ["GEHEIM"]\n',
        "deu.toml",
    )
    text = GSOMIA_FILE.read_text(encoding="utf-8")
    text = text.replace('id = "gsomia-kor-jpn-2016"', 'id = "deu-jpn"').replace('"KOR"', '"DEU"')
    text = text.replace('KOR = ["kor-mil-2"]', 'DEU = ["deu-geheim"]')
    text = text.replace('KOR = ["kor-mil-3"]\n', "")
    (directory / "deu-jpn.toml").write_text(text, encoding="utf-8")
    registry = load_registry([directory])
    assert registry.agreement("deu-jpn").parties == ("DEU", "JPN")


# --- the topic vocabulary -------------------------------------------------------------------

TISA_FILE = REFERENCE_DIR / "tisa-2014.toml"


def test_reference_vocabulary_holds_the_recorded_topics_and_every_scope() -> None:
    registry = load_registry()
    assert registry.topics is not None
    known = registry.topics.topics
    for topic in ("dprk-nuclear/test", "dprk-nuclear/facility", "prc-naval"):
        assert topic in known
    for missile in ("icbm", "irbm", "srbm", "slbm"):
        assert f"dprk-missile/{missile}" in known
    scopes = {t for a in registry.agreements.values() for t in a.scope if t != "*"}
    assert scopes == {"dprk-nuclear", "dprk-missile"}
    assert scopes <= set(known)


def test_a_users_topics_file_adds_to_the_vocabulary(tmp_path: Path) -> None:
    directory = _user_dir(tmp_path, '[topics]\n"dprk-missile/kn-23" = "KN-23"\n', "t.toml")
    topics = load_registry([directory]).topics
    assert topics is not None
    assert "dprk-missile/kn-23" in topics
    assert "dprk-missile" in topics


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ('[topics]\n"arctic/ice" = "Ice"\n', "topics.arctic/ice", "parent topic 'arctic'"),
        ('[topics]\n"prc-naval" = "again"\n', "topics.prc-naval", "already defined in"),
        ('[topics]\n"Arctic Ice" = "Ice"\n', "topics.Arctic Ice", "lowercase words"),
        ('[topics]\n"*" = "all"\n', "topics.*", "not a topic to declare"),
        ('[topics]\n"arctic" = " "\n', "topics.arctic", "needs a description"),
    ],
)
def test_a_bad_topics_file_names_file_key_and_problem(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    directory = _user_dir(tmp_path, text, "t.toml")
    with pytest.raises(ScenarioError) as caught:
        load_registry([directory])
    assert caught.value.file == str(directory / "t.toml")
    assert caught.value.key == key
    assert message in str(caught.value)


def test_a_scope_outside_the_vocabulary_is_refused_with_the_nearest_topic(
    tmp_path: Path,
) -> None:
    text = TISA_FILE.read_text(encoding="utf-8").replace('id = "tisa-2014"', 'id = "my-tisa"')
    directory = _user_dir(tmp_path, text.replace('"dprk-missile"]', '"dprk-missle"]', 1))
    with pytest.raises(ScenarioError) as caught:
        load_registry([directory])
    assert caught.value.key == "agreement.scope[1]"
    assert "unknown topic 'dprk-missle'; did you mean dprk-missile" in str(caught.value)


def test_a_star_scope_declares_no_topic() -> None:
    registry = load_registry()
    assert registry.agreement("gsomia-kor-jpn-2016").scope == ("*",)
    assert registry.topics is not None
    assert "*" not in registry.topics
