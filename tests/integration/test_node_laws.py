"""National laws (R-LAW-1) over the federation: KOR asks JPN which of its laws cover the
information's protection, JPN answers once, both nodes list the inquiry as answered and the
statement with its laws, and the agreement page shows them; a statement can also be given
unprompted, or carried by courier.

KOR is on the backend under test, JPN on SQLite; both are served over real HTTP in process
and the tests drive delivery themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pactshare.errors import InputError
from pactshare.federation.delivery import deliver_due
from pactshare.federation.peers import add_peer
from pactshare.node.documents import read_document, write_document
from pactshare.node.laws import ask_laws, list_laws, record_law_document, state_laws
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from tests.support import GSOMIA, Clock, at, pinned_nodes

LAWS = [
    ("特定秘密の保護に関する法律", "平成25年法律第108号"),
    ("自衛隊法", "昭和29年法律第165号 第122条"),
]


@pytest.fixture
def nodes(tmp_path: Path, database_url: str) -> Iterator[tuple[Node, Node, str]]:
    clock = Clock(at("2020-02-03T10:00:00+09:00"))
    pinned = pinned_nodes(tmp_path, clock, ("KOR", "JPN"), databases={"KOR": database_url})
    kor, jpn = pinned["KOR"], pinned["JPN"]
    try:
        with NodeServer(kor, port=0) as kor_server, NodeServer(jpn, port=0) as jpn_server:
            for server in (kor_server, jpn_server):
                server.worker.stop()  # the test delivers itself
            add_peer(kor, "JPN", jpn_server.url)
            add_peer(jpn, "KOR", kor_server.url)
            yield kor, jpn, kor_server.url
    finally:
        kor.close()
        jpn.close()


def test_an_inquiry_is_answered_once_over_the_network(
    nodes: tuple[Node, Node, str], tmp_path: Path
) -> None:
    kor, jpn, _ = nodes
    inquiry = ask_laws(kor, "JPN", agreement_id=GSOMIA, by=None)["body"]["inquiry_id"]
    assert deliver_due(kor).delivered
    [asked] = list_laws(jpn)[0]
    assert (asked.id, asked.asking, asked.answered_by) == (inquiry, "KOR", None)
    statement = state_laws(jpn, LAWS, reply_to=inquiry, by=None)["body"]["statement_id"]
    with pytest.raises(InputError, match="already answered"):
        state_laws(jpn, LAWS, reply_to=inquiry, by=None)
    assert deliver_due(jpn).delivered
    for node in (kor, jpn):
        inquiries, statements = list_laws(node, GSOMIA)
        assert [i.answered_by for i in inquiries] == [statement]
        assert [(s.party, s.to, s.laws) for s in statements] == [("JPN", "KOR", tuple(LAWS))]
    # unprompted, by courier: KOR states its own laws to JPN
    carried = tmp_path / "laws.json"
    write_document(
        carried,
        state_laws(kor, [("군사기밀 보호법", "")], agreement_id=GSOMIA, to="JPN", by=None),
    )
    document = read_document(carried)
    record_law_document(jpn, document, where="courier", received_at=jpn.now())
    record_law_document(jpn, document, where="courier", received_at=jpn.now())  # once
    assert [s.party for s in list_laws(jpn)[1]] == ["JPN", "KOR"]


def test_the_agreement_page_and_the_api_show_them(nodes: tuple[Node, Node, str]) -> None:
    kor, jpn, kor_url = nodes
    inquiry = ask_laws(kor, "JPN", agreement_id=GSOMIA, by=None)["body"]["inquiry_id"]
    page = httpx.get(f"{kor_url}/agreements/{GSOMIA}").text
    assert f'<p data-inquiry="{inquiry}">KOR asked JPN' in page
    deliver_due(kor)
    state_laws(jpn, LAWS, reply_to=inquiry, by=None)
    deliver_due(jpn)
    page = httpx.get(f"{kor_url}/agreements/{GSOMIA}").text
    assert "特定秘密の保護に関する法律" in page
    assert f'data-inquiry="{inquiry}"' not in page  # answered
