"""Attacks on visits (R-VIS-1, R-SEC-1, R-DEF-3, AT-20): peers send JPN's node, the host, visit
requests, answers and authority notices they have no standing to send, over a real loopback socket. JPN's node
refuses each one precisely (4xx naming the rule, never 5xx) and records nothing of it.

JPN is on the backend under test (SQLite, and PostgreSQL with CI=true); KOR and USA sign with
their own pinned keys.
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

from pactshare.federation.delivery import PATH
from pactshare.node.answers import document_digest
from pactshare.node.authorities import NOTICE as AUTHORITY_NOTICE
from pactshare.node.documents import sign_document
from pactshare.node.service import Node
from pactshare.node.visits import ANSWER, REQUEST, list_visits
from pactshare.server.runner import NodeServer
from tests.e2e.federation_support import signed_headers
from tests.support import GSOMIA, Clock, at, footprint, pinned_nodes

NOW = at("2020-02-03T10:00:00+09:00")  # GSOMIA in force (KOR's notice suspended)


@dataclass
class Host:
    """JPN's node served on loopback, with the senders' nodes (for their keys)."""

    jpn: Node
    kor: Node
    usa: Node
    clock: Clock
    url: str

    def post(self, sender: Node, document: Any, message_id: str | None = None) -> httpx.Response:
        """Send ``document`` to JPN as ``sender``'s node would (a signed request)."""
        body = json.dumps(document).encode()
        ident = message_id or uuid.uuid4().hex
        headers = signed_headers(sender.keys, body, message_id=ident, recipient="JPN")
        return httpx.post(self.url + PATH, content=body, headers=headers, timeout=30)

    def refused(self, sender: Node, document: Any, status: int = 422) -> str:
        """Post it; assert it is refused with ``status`` and changes nothing; its reasons."""
        before = footprint(self.jpn)
        answer = self.post(sender, document)
        assert answer.status_code == status, answer.text
        assert footprint(self.jpn) == before
        problem = answer.json()
        return "\n".join([problem.get("detail", ""), *problem.get("reasons", [])])


@pytest.fixture
def host(tmp_path: Path, database_url: str) -> Iterator[Host]:
    clock = Clock(NOW)
    nodes = pinned_nodes(tmp_path, clock, databases={"JPN": database_url})
    try:
        with NodeServer(nodes["JPN"], port=0) as server:
            server.worker.stop()
            yield Host(nodes["JPN"], nodes["KOR"], nodes["USA"], clock, server.url)
    finally:
        for node in nodes.values():
            node.close()


def request_body(**changes: Any) -> dict[str, Any]:
    """KOR MND's request to JPN MOD for a visit to Ichigaya up to 極秘 (R-VIS-1)."""
    return {
        "visit_id": f"visit-kor-{uuid.uuid4().hex[:12]}",
        "kind": "visit",
        "agreement": GSOMIA,
        "visiting": "KOR",
        "host": "JPN",
        "from_authority": "kor-mnd",
        "to_authority": "jpn-mod",
        "purpose": "DPRK missile warning liaison",
        "facility": "jpn-mod-ichigaya",
        "starts": "2020-02-10T09:00:00+09:00",
        "ends": "2020-02-12T18:00:00+09:00",
        "topics": ["dprk-missile"],
        "highest_level": "jpn-gokuhi",
        "visitors": ["Kim Min-su"],
        "issued_at": NOW.isoformat(),
        **changes,
    }


def test_a_valid_request_is_filed_once_however_often_it_is_replayed(host: Host) -> None:
    document = sign_document(REQUEST, request_body(), host.kor.keys)
    first = host.post(host.kor, document)
    assert first.status_code == 200, first.text
    before = footprint(host.jpn)
    replayed = host.post(host.kor, document)  # the same document under a new message id
    assert replayed.status_code == 200, replayed.text
    assert [v.state for v in list_visits(host.jpn)] == ["requested"]
    changed = footprint(host.jpn)
    assert changed[0]["visits"] == before[0]["visits"] == 1
    other = sign_document(
        REQUEST, request_body(visit_id=document["body"]["visit_id"], purpose="x"), host.kor.keys
    )
    assert "another request's" in host.refused(host.kor, other, 400)


def test_a_request_must_come_from_the_visiting_partys_competent_authority(host: Host) -> None:
    """AT-20: a request sent straight from a KR unit, or to the facility, is rejected."""
    unit = sign_document(REQUEST, request_body(from_authority="kor-army-unit"), host.kor.keys)
    assert "R-DEF-3: a visit request goes from a competent authority of KOR" in host.refused(
        host.kor, unit
    )
    facility = sign_document(REQUEST, request_body(to_authority="jpn-mod-ichigaya"), host.kor.keys)
    assert "R-DEF-3: a visit request goes to a competent authority of JPN" in host.refused(
        host.kor, facility
    )
    before = sign_document(
        REQUEST, request_body(issued_at="2016-11-01T10:00:00+09:00"), host.kor.keys
    )
    reasons = host.refused(host.kor, before)  # before KOR designated MND, and before GSOMIA
    assert "R-DEF-3" in reasons
    assert "R-EIF-1" in reasons


def test_forged_and_unsigned_requests_are_refused(host: Host) -> None:
    by_usa = sign_document(REQUEST, request_body(), host.usa.keys)
    assert "R-VIS-1: signed by USA, but the visiting party is KOR" in host.refused(host.usa, by_usa)
    relayed = sign_document(REQUEST, request_body(), host.kor.keys)
    assert "sent by USA but signed by KOR" in host.refused(host.usa, relayed, 400)
    unsigned = {**relayed, "signature": "AAAA"}
    assert "does not verify" in host.refused(host.kor, unsigned, 400)
    to_usa = sign_document(REQUEST, request_body(host="USA"), host.kor.keys)
    assert "a request to USA's authority, not to JPN's" in host.refused(host.kor, to_usa)


def test_reversed_dates_a_level_above_the_agreement_and_an_unknown_facility_are_refused(
    host: Host,
) -> None:
    cases = {
        "R-VIS-1: the visit's dates are reversed": request_body(
            starts="2020-02-12T18:00:00+09:00", ends="2020-02-10T09:00:00+09:00"
        ),
        "R-VIS-1: the visit ends before the request was made": request_body(
            starts="2019-02-10T09:00:00+09:00", ends="2019-02-12T18:00:00+09:00"
        ),
        "R-CLS-2: jpn-kimitsu (機密) is above what gsomia-kor-jpn-2016 allows": request_body(
            highest_level="jpn-kimitsu"
        ),
        "R-VIS-1: 'jpn-base-x' is not a facility of JPN": request_body(facility="jpn-base-x"),
        "R-VIS-1: unknown topic 'no-such-topic'": request_body(topics=["no-such-topic"]),
        "R-VIS-1: a visit request names its visitors": request_body(visitors=[]),
        "R-SEC-1: a security representatives' visit gives no access": request_body(
            kind="security-representative"
        ),
    }
    for reason, body in cases.items():
        assert reason in host.refused(host.kor, sign_document(REQUEST, body, host.kor.keys))


def test_a_request_signed_after_the_request_carrying_it_is_refused(host: Host) -> None:
    host.clock.now = NOW + timedelta(days=3650)  # the receiver's clock runs far ahead
    late = request_body(issued_at=(NOW + timedelta(days=3000)).isoformat())
    assert "after the request carrying it" in host.refused(
        host.kor, sign_document(REQUEST, late, host.kor.keys)
    )


def test_only_the_host_answers_an_r_vis_1_visit(host: Host) -> None:
    document = sign_document(REQUEST, request_body(), host.kor.keys)
    assert host.post(host.kor, document).status_code == 200
    visit_id = document["body"]["visit_id"]

    def answer(signer: Node, **changes: Any) -> dict[str, Any]:
        body = {
            "visit_id": visit_id,
            "party": signer.party_code,
            "approved": True,
            "reason": "",
            "request_digest": document_digest(document),
            "issued_at": NOW.isoformat(),
            **changes,
        }
        return sign_document(ANSWER, body, signer.keys)

    assert "R-VIS-1: permission to visit JPN's facility is granted only by JPN" in host.refused(
        host.kor, answer(host.kor)
    )
    assert "granted only by JPN" in host.refused(host.usa, answer(host.usa))
    assert "answers for JPN" in host.refused(host.kor, answer(host.kor, party="JPN"), 400)
    assert "another request" in host.refused(host.kor, answer(host.kor, request_digest="0" * 64))
    unknown = answer(host.kor, visit_id="visit-none")
    assert "no visit 'visit-none'" in host.refused(host.kor, unknown, 400)
    assert [v.state for v in list_visits(host.jpn)] == ["requested"]


def test_hostile_request_bodies_get_a_4xx_never_a_5xx(host: Host) -> None:
    cases = {
        "topics not a list": request_body(topics="dprk-missile"),
        "visitors not text": request_body(visitors=[1]),
        "a visitor that reads as a party": request_body(visitors=["JPN"]),
        "purpose with NUL": request_body(purpose="a\x00b"),
        "purpose too long": request_body(purpose="x" * 5000),
        "bad instant": request_body(starts="0001-01-01"),
        "naive instant": request_body(starts="2020-02-10T09:00:00"),
        "unknown kind": request_body(kind="coup"),
        "unknown agreement": request_body(agreement="nope"),
        "id not an id": request_body(visit_id="../x"),
        "too many topics": request_body(topics=["dprk-missile"] * 65),
        "missing fields": {"visit_id": "v1"},
        "a level of nobody": request_body(highest_level="ultra"),
    }
    for name, body in cases.items():
        before = footprint(host.jpn)
        answer = host.post(host.kor, sign_document(REQUEST, body, host.kor.keys))
        assert 400 <= answer.status_code < 500, (name, answer.text)
        assert footprint(host.jpn) == before, name


def notice(signer: Node, **changes: Any) -> dict[str, Any]:
    body = {
        "notice_id": f"authority-{uuid.uuid4().hex[:12]}",
        "party": signer.party_code,
        "authority_id": "kor-dapa",
        "name": "Defense Acquisition Program Administration",
        "withdraw": False,
        "effective_at": NOW.isoformat(),
        "issued_at": NOW.isoformat(),
        **changes,
    }
    return sign_document(AUTHORITY_NOTICE, body, signer.keys)


def test_a_party_changes_only_its_own_authorities_and_never_backdated(host: Host) -> None:
    """R-DEF-3: KOR cannot withdraw JPN's authority, nor designate one before it signed."""
    assert "R-DEF-3: KOR cannot designate JPN's competent authorities" in host.refused(
        host.kor, notice(host.kor, party="JPN", authority_id="jpn-mod", withdraw=True)
    )
    backdated = notice(host.kor, effective_at="2020-01-01T00:00:00+09:00")
    assert "cannot be backdated" in host.refused(host.kor, backdated)
    absent = notice(host.kor, authority_id="kor-none", withdraw=True)
    assert "nothing to withdraw" in host.refused(host.kor, absent)
    assert "already designated" in host.refused(host.kor, notice(host.kor, authority_id="kor-mnd"))
    valid = notice(host.kor)
    assert host.post(host.kor, valid).status_code == 200
    before = footprint(host.jpn)
    assert host.post(host.kor, valid).status_code == 200  # replayed: one effect
    assert footprint(host.jpn)[0]["authority_notices"] == before[0]["authority_notices"] == 1
    unit = sign_document(REQUEST, request_body(from_authority="kor-dapa"), host.kor.keys)
    assert host.post(host.kor, unit).status_code == 200  # now a KOR competent authority
