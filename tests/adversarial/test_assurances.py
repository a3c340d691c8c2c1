"""Attacks on assurances before hand-over (R-ACC-4, Art. 7(5); AT-16): peers send KOR's node,
the originating party, assurances and withdrawals they have no standing to send, or that break
a rule, over a real loopback socket. KOR's node refuses each one precisely (4xx naming the
rule, never 5xx), records nothing of it, and still refuses a hand-over to JPN.

KOR is on the backend under test (SQLite, and PostgreSQL with CI=true); JPN and USA sign with
their own pinned keys. The nodes start with no assurance exchanged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pactshare.cli.main import _register_commands, app
from pactshare.errors import RefusedError
from pactshare.federation.delivery import PATH
from pactshare.node.answers import document_digest
from pactshare.node.assurances import ASSURANCE, WITHDRAWAL, list_assurances
from pactshare.node.documents import sign_document
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from tests.e2e.federation_support import signed_headers
from tests.support import GSOMIA, Clock, at, footprint, pinned_nodes

NOW = at("2020-02-03T10:00:00+09:00")  # GSOMIA in force (KOR's notice suspended)


@dataclass
class Originator:
    """KOR's node served on loopback, with the senders' nodes (for their keys)."""

    kor: Node
    jpn: Node
    usa: Node
    clock: Clock
    url: str

    def post(self, sender: Node, document: Any) -> httpx.Response:
        """Send ``document`` to KOR as ``sender``'s node would (a signed request)."""
        body = json.dumps(document).encode()
        headers = signed_headers(sender.keys, body, message_id=uuid.uuid4().hex, recipient="KOR")
        return httpx.post(self.url + PATH, content=body, headers=headers, timeout=30)

    def refused(self, sender: Node, document: Any, status: int = 422) -> str:
        """Post it; assert it is refused with ``status`` and changes nothing; its reasons."""
        before = footprint(self.kor)
        answer = self.post(sender, document)
        assert answer.status_code == status, answer.text
        assert footprint(self.kor) == before
        problem = answer.json()
        return "\n".join([problem.get("detail", ""), *problem.get("reasons", [])])


@pytest.fixture
def originator(tmp_path: Path, database_url: str) -> Iterator[Originator]:
    clock = Clock(NOW)
    nodes = pinned_nodes(tmp_path, clock, databases={"KOR": database_url}, assured=False)
    try:
        with NodeServer(nodes["KOR"], port=0) as server:
            server.worker.stop()
            yield Originator(nodes["KOR"], nodes["JPN"], nodes["USA"], clock, server.url)
    finally:
        for node in nodes.values():
            node.close()


def body(**changes: Any) -> dict[str, Any]:
    """JPN MOD's assurance to KOR: up to 極秘, DPRK missiles, for a week."""
    return {
        "assurance_id": f"assurance-jpn-{uuid.uuid4().hex[:12]}",
        "agreement": GSOMIA,
        "receiving": "JPN",
        "originating": "KOR",
        "authority": "jpn-mod",
        "recipient": "JPN MOD Defense Intelligence HQ registry",
        "level": "jpn-gokuhi",
        "topics": ["dprk-missile"],
        "purpose": "DPRK missile warning",
        "equivalent_protection": True,
        "valid_from": NOW.isoformat(),
        "valid_until": (NOW + timedelta(days=7)).isoformat(),
        "issued_at": NOW.isoformat(),
        **changes,
    }


def test_a_valid_assurance_is_filed_once_however_often_it_is_replayed(
    originator: Originator,
) -> None:
    document = sign_document(ASSURANCE, body(), originator.jpn.keys)
    assert originator.post(originator.jpn, document).status_code == 200
    before = footprint(originator.kor)
    assert originator.post(originator.jpn, document).status_code == 200  # a new message id
    assert footprint(originator.kor)[0]["assurances"] == before[0]["assurances"] == 1
    other = sign_document(
        ASSURANCE,
        body(assurance_id=document["body"]["assurance_id"], level="jpn-hi"),
        originator.jpn.keys,
    )
    assert "is another's" in originator.refused(originator.jpn, other, 400)
    assert [r.state for r in list_assurances(originator.kor)] == ["in effect"]


def test_forged_relayed_and_misaddressed_assurances_are_refused(originator: Originator) -> None:
    by_usa = sign_document(ASSURANCE, body(), originator.usa.keys)
    assert "R-ACC-4: signed by USA, but the receiving party is JPN" in originator.refused(
        originator.usa, by_usa
    )
    relayed = sign_document(ASSURANCE, body(), originator.jpn.keys)
    assert "sent by USA but signed by JPN" in originator.refused(originator.usa, relayed, 400)
    unsigned = {**relayed, "signature": "AAAA"}
    assert "does not verify" in originator.refused(originator.jpn, unsigned, 400)
    tampered = {**relayed, "body": {**relayed["body"], "level": "jpn-tokutei-himitsu"}}
    assert "does not verify" in originator.refused(originator.jpn, tampered, 400)
    to_usa = sign_document(ASSURANCE, body(originating="USA"), originator.jpn.keys)
    assert "R-ACC-4: it assures USA, not KOR" in originator.refused(originator.jpn, to_usa)


def test_assurances_that_break_a_rule_are_refused_naming_it(originator: Originator) -> None:
    week = (NOW + timedelta(days=7)).isoformat()
    cases = {
        "R-CLS-2: (a) jpn-kimitsu (機密) is not in gsomia-kor-jpn-2016's equivalence table": body(
            level="jpn-kimitsu"
        ),
        "R-ACC-4: (a) 'ultra' is not a level of JPN": body(level="ultra"),
        "R-DEF-3: an assurance is given by a competent authority of JPN": body(
            authority="jpn-army-unit"
        ),
        "R-ACC-4: (c) the receiving party must undertake equivalent protection": body(
            equivalent_protection=False
        ),
        "R-ACC-4: its validity is reversed": body(valid_from=week, valid_until=NOW.isoformat()),
        "R-ACC-4: it expires before it was given": body(
            valid_from="2020-01-01T00:00:00+09:00", valid_until="2020-01-02T00:00:00+09:00"
        ),
        "an assurance cannot be backdated": body(valid_from="2020-01-01T00:00:00+09:00"),
        "R-ACC-4: tisa-2014 asks for no assurance before provision": body(agreement="tisa-2014"),
        "R-ACC-4: KOR is not a party to gsomia-usa-jpn-2007": body(agreement="gsomia-usa-jpn-2007"),
        "R-ACC-4: unknown topic 'no-such-topic'": body(topics=["no-such-topic"]),
        "R-ACC-4: (b) name the topics": body(topics=[]),
        "R-ACC-4: (b) name the official purpose": body(purpose="   "),
        "R-ACC-4: unknown agreement 'nope'": body(agreement="nope"),
    }
    for reason, case in cases.items():
        document = sign_document(ASSURANCE, case, originator.jpn.keys)
        assert reason in originator.refused(originator.jpn, document), reason


def test_an_assurance_signed_after_the_request_carrying_it_is_refused(
    originator: Originator,
) -> None:
    originator.clock.now = NOW + timedelta(days=3650)  # the receiver's clock runs far ahead
    later = NOW + timedelta(days=3000)
    late = body(issued_at=later.isoformat(), valid_from=later.isoformat(),
                valid_until=(later + timedelta(days=7)).isoformat())  # fmt: skip
    assert "after the request carrying it" in originator.refused(
        originator.jpn, sign_document(ASSURANCE, late, originator.jpn.keys)
    )


def test_hostile_assurance_bodies_get_a_4xx_never_a_5xx(originator: Originator) -> None:
    cases: dict[str, dict[str, Any]] = {
        "topics not a list": body(topics="dprk-missile"),
        "a topic not text": body(topics=[1]),
        "protection as text": body(equivalent_protection="yes"),
        "recipient with NUL": body(recipient="a\x00b"),
        "recipient too long": body(recipient="x" * 201),
        "purpose too long": body(purpose="x" * 5000),
        "level too long": body(level="x" * 101),
        "bad instant": body(valid_until="0001-01-01"),
        "naive instant": body(valid_until="2020-02-10T09:00:00"),
        "id not an id": body(assurance_id="../x"),
        "party not a code": body(receiving="jpn"),
        "too many topics": body(topics=["dprk-missile"] * 65),
        "missing fields": {"assurance_id": "a1"},
        "an id of another kind's field": body(assurance_id=None),
    }
    for name, case in cases.items():
        before = footprint(originator.kor)
        answer = originator.post(
            originator.jpn, sign_document(ASSURANCE, case, originator.jpn.keys)
        )
        assert 400 <= answer.status_code < 500, (name, answer.text)
        assert footprint(originator.kor) == before, name


def test_only_the_giver_withdraws_its_own_assurance_once(
    originator: Originator, tmp_path: Path
) -> None:
    document = sign_document(ASSURANCE, body(), originator.jpn.keys)
    assert originator.post(originator.jpn, document).status_code == 200
    ident = document["body"]["assurance_id"]

    def withdrawal(signer: Node, **changes: Any) -> dict[str, Any]:
        terms = {
            "assurance_id": ident,
            "receiving": signer.party_code,
            "assurance_digest": document_digest(document),
            "issued_at": NOW.isoformat(),
            **changes,
        }
        return sign_document(WITHDRAWAL, terms, signer.keys)

    assert "USA gave us no assurance" in originator.refused(
        originator.usa, withdrawal(originator.usa)
    )
    assert "signed by USA but withdraws for JPN" in originator.refused(
        originator.usa, withdrawal(originator.usa, receiving="JPN")
    )
    assert "it withdraws another assurance" in originator.refused(
        originator.jpn, withdrawal(originator.jpn, assurance_digest="0" * 64)
    )
    assert "JPN gave us no assurance 'assurance-none'" in originator.refused(
        originator.jpn, withdrawal(originator.jpn, assurance_id="assurance-none")
    )
    valid = withdrawal(originator.jpn)
    assert originator.post(originator.jpn, valid).status_code == 200
    [withdrawn] = list_assurances(originator.kor)
    assert originator.post(originator.jpn, valid).status_code == 200  # replayed: one effect
    assert list_assurances(originator.kor) == [withdrawn]
    later = withdrawal(originator.jpn, issued_at=(NOW + timedelta(minutes=1)).isoformat())
    assert "withdrawn already" in originator.refused(originator.jpn, later, 400)
    assert [r.state for r in list_assurances(originator.kor)] == ["withdrawn"]
    (tmp_path / "item.txt").write_text("telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(
        f'policy = "{GSOMIA}"\noriginator = "KOR"\nclassification = "kor-mil-2"\n'
        'topics = ["dprk-missile"]\nreleasable_to = ["JPN"]\n',
        encoding="utf-8",
    )
    item = register(originator.kor, tmp_path / "item.txt", tmp_path / "label.toml")
    with pytest.raises(RefusedError, match="is refused") as refused:
        provide(originator.kor, item, "JPN", package=None)
    assert f"{ident}: withdrawn at" in "\n".join(refused.value.reasons)  # AT-16


def test_assurance_list_prints_a_peers_recipient_as_written_not_as_markup(
    originator: Originator,
) -> None:
    """The recipient is a peer's text: ``assurance list`` prints it literally (``[/]`` read
    as console markup would end the command with a traceback)."""
    document = sign_document(ASSURANCE, body(recipient="[/] [bold]Registry"), originator.jpn.keys)
    assert originator.post(originator.jpn, document).status_code == 200
    _register_commands()
    home = str(originator.kor.home.root)
    done = CliRunner().invoke(app, ["assurance", "list", "--home", home], env={"COLUMNS": "300"})
    assert (done.exit_code, done.exception) == (0, None), done.output
    assert "[/]" in done.output  # the table may wrap the cell: each piece as written
    assert "[bold]Reg" in done.output
