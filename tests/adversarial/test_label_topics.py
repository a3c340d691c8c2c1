"""Attacks on the topics of a label: a topic the receiving node does not know.

A sender whose own files declare a topic (here ``arctic-ice``, under GSOMIA's ``*`` scope)
provides an item on it to a node whose vocabulary lacks it. The receiver cannot say that any
of its agreements covers a topic it does not know: it refuses (final, as any refusal by its
agreements), records the refusal, and holds nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pactshare.errors import RefusedError
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.store.schema import audit_entries, items
from tests.support import Clock, at, pinned_nodes

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "kor-mil-2"
topics = ["arctic-ice"]
releasable_to = ["JPN"]
"""


def test_an_item_on_a_topic_the_receiver_does_not_know_is_refused_and_recorded(
    tmp_path: Path, database_url: str
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "topics.toml").write_text('[topics]\n"arctic-ice" = "Sea ice"\n', encoding="utf-8")
    clock = Clock(at("2019-11-22T12:00:00+09:00"))
    nodes = pinned_nodes(
        tmp_path, clock, ("KOR", "JPN"), {"JPN": database_url}, agreement_dirs={"KOR": (mine,)}
    )
    kor, jpn = nodes["KOR"], nodes["JPN"]
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    (tmp_path / "item.txt").write_text("ice edge at 81N", encoding="utf-8")
    item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
    provide(kor, item, "JPN", package=tmp_path / "pkg.zip")  # KOR's own files allow it
    with pytest.raises(RefusedError) as caught:
        receive(jpn, tmp_path / "pkg.zip")
    assert caught.value.reasons[0].startswith("label: unknown topic 'arctic-ice'")
    with jpn.db.atomic() as tx:
        assert tx.execute(select(items)).first() is None
        last = tx.execute(select(audit_entries).order_by(audit_entries.c.position.desc())).first()
    assert last is not None
    assert last.kind == "refusal"
    for node in nodes.values():
        node.close()
