"""Law inquiries and statements (R-LAW-1) from a hostile peer or person: each is refused
naming what is wrong — signed for another party, addressed elsewhere, under an agreement the
two do not share, a reply to no inquiry of ours or to one already answered, another document
under a known id, laws that are not text — and records nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from pactshare.cli.main import _register_commands, app
from pactshare.errors import InputError, NotFoundError, PackageError, RefusedError
from pactshare.node.documents import sign_document
from pactshare.node.laws import INQUIRY, STATEMENT, ask_laws, record_law_document, state_laws
from pactshare.node.service import Node
from tests.http_support import LiveNode
from tests.support import GSOMIA, TISA, Clock, at, footprint, pinned_nodes

Nodes = dict[str, Node]
NOW = "2020-02-03T10:00:00+09:00"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    pinned = pinned_nodes(tmp_path_factory.mktemp("laws"), Clock(at(NOW)))
    yield pinned
    for node in pinned.values():
        node.close()


def _statement(signer: Node, **changes: Any) -> dict[str, Any]:
    body = {
        "statement_id": "laws-jpn-hostile",
        "agreement_id": GSOMIA,
        "party": "JPN",
        "to": "KOR",
        "in_reply_to": None,
        "laws": [{"title": "特定秘密の保護に関する法律", "reference": ""}],
        "issued_at": NOW,
        **changes,
    }
    return sign_document(STATEMENT, body, signer.keys)


def _refused(node: Node, document: dict[str, Any], error: type[Exception], match: str) -> None:
    before = footprint(node)
    with pytest.raises(error) as caught:
        record_law_document(node, document, where="peer", received_at=node.now())
    said = " | ".join((str(caught.value), *getattr(caught.value, "reasons", ())))
    assert re.search(match, said), said
    assert footprint(node) == before


@pytest.mark.parametrize(
    ("signer", "changes", "error", "match"),
    [
        ("USA", {}, RefusedError, "signed by USA, not JPN"),
        ("JPN", {"to": "USA"}, RefusedError, "addressed to USA, not to us"),
        ("JPN", {"agreement_id": "gsomia-none"}, RefusedError, "no agreement 'gsomia-none'"),
        ("JPN", {"in_reply_to": "laws-kor-unknown"}, RefusedError, "answers no inquiry of ours"),
        ("JPN", {"laws": []}, PackageError, "body.laws"),
        ("JPN", {"laws": [{"title": "x\x00", "reference": ""}]}, PackageError, "body.laws.0"),
        ("JPN", {"laws": [{"title": "x"}] * 51}, PackageError, "body.laws"),
        ("JPN", {"laws": [{"title": "t" * 301, "reference": ""}]}, PackageError, "body.laws"),
        ("JPN", {"statement_id": "../x"}, PackageError, "statement_id"),
        ("JPN", {"issued_at": "2030-01-01T00:00:00Z"}, RefusedError, "signed after receipt"),
    ],
)
def test_a_hostile_statement_is_refused_and_records_nothing(
    nodes: Nodes, signer: str, changes: dict[str, Any], error: type[Exception], match: str
) -> None:
    _refused(nodes["KOR"], _statement(nodes[signer], **changes), error, match)


def test_a_reply_must_answer_an_open_inquiry_of_ours_to_that_party(nodes: Nodes) -> None:
    kor, jpn, usa = nodes["KOR"], nodes["JPN"], nodes["USA"]
    asked = ask_laws(kor, "USA", agreement_id=TISA, by=None)["body"]["inquiry_id"]
    # JPN may not answer an inquiry KOR gave USA, nor under another agreement
    _refused(kor, _statement(jpn, in_reply_to=asked), RefusedError, "no inquiry of ours to JPN")
    usa_reply = {"party": "USA", "agreement_id": GSOMIA, "in_reply_to": asked}
    _refused(kor, _statement(usa, **usa_reply), RefusedError, "USA is not a party to gsomia")
    answer = _statement(usa, party="USA", agreement_id=TISA, in_reply_to=asked)
    record_law_document(kor, answer, where="peer", received_at=kor.now())
    again = _statement(
        usa, statement_id="laws-usa-2", party="USA", agreement_id=TISA, in_reply_to=asked
    )
    _refused(kor, again, RefusedError, "is already answered")
    altered = _statement(usa, party="USA", agreement_id=TISA, in_reply_to=asked, laws=[
        {"title": "another", "reference": ""}
    ])  # fmt: skip
    _refused(kor, altered, PackageError, "is another document's")


def test_an_inquiry_speaks_for_its_signer_only(nodes: Nodes) -> None:
    body = {
        "inquiry_id": "laws-usa-forged",
        "agreement_id": GSOMIA,
        "asking": "JPN",
        "asked": "KOR",
        "issued_at": NOW,
    }
    forged = sign_document(INQUIRY, body, nodes["USA"].keys)
    _refused(nodes["KOR"], forged, RefusedError, "signed by USA, not JPN")
    _refused(nodes["KOR"], {"kind": "law-verdict"}, PackageError, "not a law inquiry")


def test_a_person_asks_and_states_only_within_an_agreement(nodes: Nodes) -> None:
    kor = nodes["KOR"]
    with pytest.raises(RefusedError) as refused:
        ask_laws(kor, "USA", agreement_id=GSOMIA, by=None)
    assert "USA is not a party to" in refused.value.reasons[0]
    with pytest.raises(RefusedError):
        ask_laws(kor, "KOR", agreement_id=GSOMIA, by=None)
    with pytest.raises(NotFoundError, match="no law inquiry"):
        state_laws(kor, [("law", "")], reply_to="laws-none", by=None)
    with pytest.raises(InputError, match="give either"):
        state_laws(kor, [("law", "")], by=None)
    with pytest.raises(InputError, match="--law"):
        state_laws(kor, [("\x07", "")], agreement_id=GSOMIA, to="JPN", by=None)


def test_the_api_asks_for_an_officer_and_refuses_bad_input(live: LiveNode) -> None:
    with live.client("reader") as reader:
        assert reader.get("/api/v1/laws").status_code == 200
        denied = reader.post("/api/v1/laws/inquiries", json={"party": "JPN", "agreement": GSOMIA})
        assert denied.status_code == 403
    with live.client("officer") as officer:
        asked = officer.post("/api/v1/laws/inquiries", json={"party": "jpn", "agreement": GSOMIA})
        assert asked.status_code == 201, asked.text
        inquiry = asked.json()["body"]["inquiry_id"]
        for body, status in (
            ({"laws": []}, 422),
            ({"laws": [{"title": "x"}], "to": "JPN"}, 400),  # no agreement
            ({"laws": [{"title": "x"}], "reply_to": inquiry}, 404),  # asked of JPN, not us
            ({"laws": [{"title": "x" * 301}], "to": "JPN", "agreement": GSOMIA}, 422),
        ):
            answer = officer.post("/api/v1/laws/statements", json=body)
            assert answer.status_code == status, (body, answer.text)
        listed = officer.get("/api/v1/laws").json()
    assert [i["id"] for i in listed["inquiries"]] == [inquiry]


def test_law_list_prints_a_peers_laws_as_written_not_as_markup(nodes: Nodes) -> None:
    """A law's title is a peer's text: ``law list`` prints it literally (``[/]`` was read as
    console markup and ended the command with a traceback)."""
    statement = _statement(
        nodes["JPN"],
        statement_id="laws-jpn-markup",
        laws=[{"title": "[/] Act on [bold]Secrets", "reference": "[/]"}],
    )
    record_law_document(nodes["KOR"], statement, where="peer", received_at=nodes["KOR"].now())
    _register_commands()
    home = str(nodes["KOR"].home.root)
    done = CliRunner().invoke(app, ["law", "list", "--home", home], env={"COLUMNS": "200"})
    assert (done.exit_code, done.exception) == (0, None), done.output
    assert "[/] Act on [bold]Secrets ([/])" in done.output
