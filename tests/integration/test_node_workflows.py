"""Register, provide, receive and open across two real nodes; the receiver on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, select

from pactshare.errors import NodeError, PackageError, PactshareError, RefusedError
from pactshare.node import NodeHome
from pactshare.node.holdings import inbox, open_item
from pactshare.node.items import register
from pactshare.node.people import add_person
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.store.schema import metadata
from tests.support import Clock, at, footprint, pinned_nodes

BEFORE_MIDNIGHT = at("2019-11-22T23:00:00+09:00")
LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN"]
"""


@pytest.fixture
def clock() -> Clock:
    return Clock(BEFORE_MIDNIGHT)


@pytest.fixture
def nodes(tmp_path: Path, database_url: str, clock: Clock) -> Iterator[tuple[Node, Node]]:
    """A KOR node (SQLite) and a JPN node on the backend under test, each pinning the other."""
    made = pinned_nodes(tmp_path, clock, ("KOR", "JPN"), databases={"JPN": database_url})
    kor, jpn = made["KOR"], made["JPN"]
    yield kor, jpn
    kor.close()
    jpn.close()


def _registered(kor: Node, tmp_path: Path, label: str = LABEL) -> str:
    (tmp_path / "item.txt").write_text("DPRK SLBM launch telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(label, encoding="utf-8")
    return register(kor, tmp_path / "item.txt", tmp_path / "label.toml")


def _snapshot(
    node: Node, *, skip: tuple[str, ...] = ("audit_entries", "audit_nodes", "audit_heads")
) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (but the audit log), to show that nothing changed."""
    with node.db.atomic() as tx:
        return {
            name: sorted(tuple(str(v) for v in row) for row in tx.execute(select(table)).all())
            for name, table in metadata.tables.items()
            if name not in skip
        }


def test_AT_1_item_travels_marked_and_opens_only_for_the_cleared(
    tmp_path: Path, nodes: tuple[Node, Node]
) -> None:
    kor, jpn = nodes
    item = _registered(kor, tmp_path)
    result = provide(kor, item, "JPN", package=tmp_path / "pkg.zip")
    assert result.decision["route"][0]["agreement"] == "gsomia-kor-jpn-2016"
    receipt = receive(jpn, tmp_path / "pkg.zip")
    assert receipt["body"]["marking"] == "KOR / 極秘 (SECRET)"
    assert receipt["body"]["assurance"]["equivalent_protection_under"] == "gsomia-kor-jpn-2016"
    (held,) = inbox(jpn)
    assert (held.item_id, held.marking) == (item, "KOR / 極秘 (SECRET)")
    with jpn.db.atomic() as tx:
        party = jpn.party(tx)
        add_person(
            tx,
            party,
            name="Sato",
            clearance="極秘",
            need_to_know=["dprk-missile"],
            roles=[],
            at=BEFORE_MIDNIGHT,
        )
        add_person(
            tx,
            party,
            name="Ito",
            clearance="極秘",
            need_to_know=["prc-naval"],
            roles=[],
            at=BEFORE_MIDNIGHT,
        )
    assert open_item(jpn, item, person_name="Sato", output=tmp_path / "out.txt") > 0
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "DPRK SLBM launch telemetry"
    with pytest.raises(RefusedError, match="Ito may not open"):
        open_item(jpn, item, person_name="Ito", output=tmp_path / "denied.txt")
    assert not (tmp_path / "denied.txt").exists()
    with jpn.db.atomic() as tx:
        registry = Table("access_log", MetaData(), autoload_with=tx)
        assert sorted((r.person, r.granted) for r in tx.execute(select(registry))) == [
            ("Ito", False),
            ("Sato", True),
        ]


def test_receiving_the_same_package_twice_has_one_effect(
    tmp_path: Path, nodes: tuple[Node, Node]
) -> None:
    kor, jpn = nodes
    provide(kor, _registered(kor, tmp_path), "JPN", package=tmp_path / "pkg.zip")
    first = receive(jpn, tmp_path / "pkg.zip")
    before = _snapshot(jpn, skip=())
    assert receive(jpn, tmp_path / "pkg.zip") == first
    assert _snapshot(jpn, skip=()) == before


def test_a_refusal_is_audited_and_leaves_every_other_table_as_it_was(
    tmp_path: Path, nodes: tuple[Node, Node]
) -> None:
    kor, _ = nodes
    item = _registered(kor, tmp_path)
    before = _snapshot(kor)
    with pytest.raises(RefusedError, match="refused") as refused:
        provide(kor, item, "USA", package=tmp_path / "pkg.zip")
    assert any("R-PRO-1" in reason for reason in refused.value.reasons)
    assert _snapshot(kor) == before
    assert not (tmp_path / "pkg.zip").exists()
    with kor.db.atomic() as tx:
        kinds = (
            tx.exec_driver_sql("SELECT kind FROM audit_entries ORDER BY position").scalars().all()
        )
    assert kinds[-1] == "refusal"


def test_a_package_for_another_party_or_altered_is_refused_and_stores_nothing(
    tmp_path: Path, nodes: tuple[Node, Node]
) -> None:
    kor, jpn = nodes
    provide(kor, _registered(kor, tmp_path), "JPN", package=tmp_path / "pkg.zip")
    data = bytearray((tmp_path / "pkg.zip").read_bytes())
    data[len(data) // 2] ^= 0x01
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    before = _snapshot(jpn, skip=())
    with pytest.raises(PackageError):
        receive(jpn, tmp_path / "bad.zip")
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(PackageError, match="not a transfer package"):
        receive(jpn, tmp_path / "junk.zip")
    with pytest.raises(PackageError, match="addressed to JPN, not to KOR"):
        receive(kor, tmp_path / "pkg.zip")
    assert _snapshot(jpn, skip=()) == before


def test_home_without_a_node_is_a_clear_error(tmp_path: Path) -> None:
    from pactshare.errors import NodeError  # noqa: PLC0415 - only here

    with pytest.raises(NodeError, match="is not a pactshare node"):
        Node(NodeHome(tmp_path), clock=lambda: BEFORE_MIDNIGHT)


MALFORMED_LABELS: list[tuple[str, str]] = [
    ('originator = "KOR"\n', "required field is missing"),
    (LABEL.replace('"군사 II급 비밀"', '"SECRET"'), "not a classification level of KOR"),
    (LABEL.replace('originator = "KOR"', 'originator = "JPN"'), "signed by KOR's key"),
    (LABEL.replace('["dprk-missile/slbm"]', '["DPRK Missile"]'), "topic"),
    (LABEL.replace('["dprk-missile/slbm"]', '["dprk-missle"]'), "did you mean dprk-missile"),
    (LABEL.replace("gsomia-kor-jpn-2016", "gsomia-kor-jpn"), "policy: unknown policy"),
]


def _registration_refused(kor: Node, folder: Path, case: tuple[str, str]) -> None:
    label, message = case  # shown in a failure's traceback
    before = _snapshot(kor, skip=()), footprint(kor)
    with pytest.raises(PactshareError, match=message):
        _registered(kor, folder, label)
    assert (_snapshot(kor, skip=()), footprint(kor)) == before


def test_a_malformed_registration_changes_nothing_at_all(
    tmp_path: Path, nodes: tuple[Node, Node]
) -> None:
    """Each malformed label in turn, to one node: refused, and not a row or file changed."""
    kor, _ = nodes
    for case in MALFORMED_LABELS:
        _registration_refused(kor, tmp_path, case)


def test_providing_an_unknown_item_changes_nothing_at_all(
    tmp_path: Path, nodes: tuple[Node, Node]
) -> None:
    kor, _ = nodes
    before = _snapshot(kor, skip=())
    with pytest.raises(NodeError, match="no item 'nope'"):
        provide(kor, "nope", "JPN", package=tmp_path / "pkg.zip")
    assert _snapshot(kor, skip=()) == before
    assert not (tmp_path / "pkg.zip").exists()
