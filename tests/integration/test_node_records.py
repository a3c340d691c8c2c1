"""A node's own agreements and people, stored on each backend."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pactshare.domain import Event, EventKind, Status, status_at
from pactshare.errors import InputError, NodeError, ScenarioError
from pactshare.node.agreements import install_sources, load_registry, record_event
from pactshare.node.people import add_person, find_person, person_by_token
from pactshare.scenarios import Source, read_sources
from pactshare.store import Database
from tests.support import at, reference

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_reference_agreements_round_trip_through_the_database(database: Database) -> None:
    with database.atomic() as tx:
        assert (
            install_sources(tx, read_sources([]), at=NOW) == 11
        )  # 3 parties, 4, topics, 3 context
    with database.atomic() as tx:
        registry = load_registry(tx)
    assert sorted(registry.agreements) == [
        "gsomia-kor-jpn-2016", "gsomia-usa-jpn-2007", "gsomia-usa-kor-1987", "tisa-2014",
    ]  # fmt: skip
    assert registry.topics == reference().topics


def test_a_users_topics_file_is_stored_beside_the_reference_one(
    database: Database, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "topics.toml").write_text('[topics]\n"arctic-ice" = "Sea ice"\n', encoding="utf-8")
    with database.atomic() as tx:
        install_sources(tx, read_sources([mine]), at=NOW)
    with database.atomic() as tx:
        topics = load_registry(tx).topics
    assert topics is not None
    assert "arctic-ice" in topics
    assert "dprk-missile/slbm" in topics


def test_a_bad_file_set_stores_nothing(database: Database) -> None:
    sources = [*read_sources([]), Source("bad.toml", "[agreement]\nid = 1\n")]
    with pytest.raises(ScenarioError, match=r"bad\.toml"), database.atomic() as tx:
        install_sources(tx, sources, at=NOW)
    with database.atomic() as tx:
        assert not load_registry(tx).agreements


def test_a_recorded_note_event_changes_the_derived_status(database: Database) -> None:
    with database.atomic() as tx:
        install_sources(tx, read_sources([]), at=NOW)
        registry = load_registry(tx)
        notice = Event(
            "kor-notice-2026",
            EventKind.NOTICE_OF_TERMINATION,
            at("2026-06-01T10:00:00+09:00"),
            "KOR",
        )
        record_event(
            tx,
            registry,
            agreement_id="gsomia-kor-jpn-2016",
            event=notice,
            note={"id": "n1"},
            at=NOW,
            received_at=notice.at,
        )
    with database.atomic() as tx:
        gsomia = load_registry(tx).agreement("gsomia-kor-jpn-2016")
    report = status_at(gsomia, at("2026-11-23T00:00:00+09:00"))
    assert report.status is Status.TERMINATED


def test_an_event_by_a_non_party_is_refused(database: Database) -> None:
    with database.atomic() as tx:
        install_sources(tx, read_sources([]), at=NOW)
        registry = load_registry(tx)
        event = Event("x", EventKind.NOTICE_OF_TERMINATION, NOW, "USA")
        with pytest.raises(InputError, match="USA is not a party"):
            record_event(
                tx, registry, agreement_id="gsomia-kor-jpn-2016", event=event, note={}, at=NOW
            )


def test_a_person_is_found_by_name_and_by_token_never_stored_in_clear(database: Database) -> None:
    with database.atomic() as tx:
        install_sources(tx, read_sources([]), at=NOW)
        jpn = load_registry(tx).party("JPN")
        record, token = add_person(
            tx,
            jpn,
            name="Sato",
            clearance="極秘",
            need_to_know=["dprk-missile"],
            roles=["reader"],
            at=NOW,
        )
    assert record.clearance == "jpn-gokuhi"
    with database.atomic() as tx:
        assert find_person(tx, "Sato") == record
        assert person_by_token(tx, token) == record
        assert person_by_token(tx, token + "x") is None
        stored = tx.exec_driver_sql("SELECT token_hash FROM persons").scalar_one()
    assert token not in stored
    assert record.as_person(jpn).clearance == jpn.level("極秘")


def test_person_errors_are_precise(database: Database) -> None:
    with database.atomic() as tx:
        install_sources(tx, read_sources([]), at=NOW)
        jpn = load_registry(tx).party("JPN")
        with pytest.raises(InputError, match="--clearance"):
            add_person(tx, jpn, name="A", clearance="TOP SECRET", need_to_know=[], roles=[], at=NOW)
        with pytest.raises(InputError, match="roles"):
            add_person(tx, jpn, name="A", clearance=None, need_to_know=[], roles=["king"], at=NOW)
        add_person(tx, jpn, name="A", clearance=None, need_to_know=[], roles=[], at=NOW)
        with pytest.raises(InputError, match="already exists"):
            add_person(tx, jpn, name="A", clearance=None, need_to_know=[], roles=[], at=NOW)
        with pytest.raises(NodeError, match="no person named 'B'"):
            find_person(tx, "B")
