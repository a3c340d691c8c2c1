"""RFC 9421 request signatures between nodes: the RFC's own Ed25519 example, a round trip,
and every way a request can be wrong, against a node served on a real loopback socket."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_sfv.dictionary import Dictionary
from hypothesis import given, settings
from hypothesis import strategies as st

from pactshare import seal
from pactshare.federation.delivery import PATH
from pactshare.federation.signatures import (
    SignatureError,
    digest_matches,
    signature_base,
    verify_request,
)
from pactshare.node.documents import sign_document
from pactshare.node.service import Node, init_node
from pactshare.server.runner import NodeServer
from tests.e2e.federation_support import signed_headers
from tests.support import Clock, at

RFC_KEY = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"  # RFC 9421 B.1.4 test-key-ed25519
KEYS = seal.PartyKeys.generate("KOR", at=at("2019-01-01T00:00Z"))
RFC_SIGNATURE = (  # RFC 9421 B.2.6
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
)


def test_the_signature_base_and_signature_match_rfc_9421_appendix_b_2_6() -> None:
    key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(RFC_KEY + "="))
    field = Dictionary()
    field.parse(
        b'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
        b';created=1618884473;keyid="test-key-ed25519"'
    )
    params = field["sig-b26"]
    headers = {
        "Host": "example.com",
        "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
        "Content-Type": "application/json",
        "Content-Length": "18",
    }
    base = signature_base("POST", "/foo", headers, [item.value for item in params], params)
    assert base.decode().splitlines()[-1] == (
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
        '"content-length");created=1618884473;keyid="test-key-ed25519"'
    )
    assert base64.b64encode(key.sign(base)).decode() == RFC_SIGNATURE


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[seal.PartyKeys, str]]:
    """KOR's keys, and JPN's node served on loopback, pinning KOR (and not USA)."""
    root = tmp_path_factory.mktemp("fed")
    clock = Clock(at("2019-11-22T23:59:59+09:00"))
    kor = init_node(root / "kor", party="KOR", at=clock.now)
    jpn = init_node(root / "jpn", party="JPN", at=clock.now)
    (jpn.directory / "KOR.json").write_bytes(kor.public_key.read_bytes())
    node = Node(jpn, clock=clock)
    with NodeServer(node, port=0, max_body=64 * 1024) as server:
        yield seal.load_keys(kor.keys), server.url
    node.close()


def note(keys: seal.PartyKeys) -> bytes:
    body = {
        "agreement": "gsomia-kor-jpn-2016",
        "event": {
            "id": f"kor-test-{uuid.uuid4().hex[:8]}",
            "kind": "notice_of_termination",
            "party": "KOR",
            "at": "2019-08-23T12:00:00+09:00",
            "source": "test",
        },
        "issued_at": "2019-08-23T12:00:00+09:00",
    }
    return json.dumps(sign_document("diplomatic-note", body, keys)).encode()


def post(url: str, body: bytes, headers: dict[str, str], path: str = PATH) -> httpx.Response:
    return httpx.post(url + path, content=body, headers=headers, timeout=10)


def test_a_signed_message_is_applied_once_and_acknowledged(
    pair: tuple[seal.PartyKeys, str],
) -> None:
    keys, url = pair
    body, message = note(keys), uuid.uuid4().hex
    first = post(url, body, signed_headers(keys, body, message_id=message))
    again = post(url, body, signed_headers(keys, body, message_id=message))  # a new nonce
    assert first.status_code == 200, first.text
    assert first.json()["message_id"] == message
    assert first.json()["receipt"]["kind"] == "acknowledgement"
    assert again.json() == first.json()  # one effect, the same signed acknowledgement


def _unsigned(keys: seal.PartyKeys, body: bytes) -> dict[str, str]:
    headers = signed_headers(keys, body, message_id="m1")
    del headers["Signature"], headers["Signature-Input"]
    return headers


def _stranger(_keys: seal.PartyKeys, body: bytes) -> dict[str, str]:
    return signed_headers(seal.PartyKeys.generate("USA", at=at("2019-01-01T00:00Z")), body, message_id="m2")  # fmt: skip


def _forged(keys: seal.PartyKeys, body: bytes) -> dict[str, str]:
    """Signed with another key, but claiming KOR's key id."""
    other = seal.PartyKeys.generate("KOR", at=at("2019-01-01T00:00Z"))
    headers = signed_headers(other, body, message_id="m3")
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        other.signing_key_id, keys.signing_key_id
    )
    return headers


def _stale(keys: seal.PartyKeys, body: bytes) -> dict[str, str]:
    return signed_headers(keys, body, message_id="m4", created=int(time.time()) - 301)


def _future(keys: seal.PartyKeys, body: bytes) -> dict[str, str]:
    return signed_headers(keys, body, message_id="m5", created=int(time.time()) + 60)


def _other_path(keys: seal.PartyKeys, body: bytes) -> dict[str, str]:
    return signed_headers(keys, body, message_id="m6", path="/federation/v1/other")


def _other_method(keys: seal.PartyKeys, body: bytes) -> dict[str, str]:
    return signed_headers(keys, body, message_id="m7", method="PUT")


def _other_id(keys: seal.PartyKeys, body: bytes) -> dict[str, str]:
    headers = signed_headers(keys, body, message_id="m8")
    headers["pactshare-message-id"] = "m9"
    return headers


def _no_digest(keys: seal.PartyKeys, body: bytes) -> dict[str, str]:
    headers = signed_headers(keys, body, message_id="m10")
    del headers["content-digest"]
    return headers


@pytest.mark.parametrize(
    "make",
    [_unsigned, _stranger, _forged, _stale, _future, _other_path, _other_method, _other_id, _no_digest],
)  # fmt: skip
def test_badly_signed_requests_are_unauthenticated(
    pair: tuple[seal.PartyKeys, str], make: object
) -> None:
    keys, url = pair
    body = note(keys)
    assert callable(make)
    answer = post(url, body, make(keys, body))
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_replayed_request_is_refused(pair: tuple[seal.PartyKeys, str]) -> None:
    keys, url = pair
    body = note(keys)
    headers = signed_headers(keys, body, message_id=uuid.uuid4().hex)
    assert post(url, body, headers).status_code == 200
    replayed = post(url, body, headers)
    assert replayed.status_code == 401
    assert "replayed" in replayed.json()["detail"]


def test_a_tampered_body_is_refused(pair: tuple[seal.PartyKeys, str]) -> None:
    keys, url = pair
    body = note(keys)
    headers = signed_headers(keys, body, message_id=uuid.uuid4().hex)
    answer = post(url, body.replace(b"test", b"tost"), headers)
    assert answer.status_code == 400
    assert answer.json()["title"] == "Digest mismatch"


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'{"kind": "gossip", "body": {}}', "application/json", 400),
        (b"PK\x03\x04 not really a zip", "application/zip", 400),
        (b"hello", "text/plain", 415),
        (b"x" * (64 * 1024 + 1), "application/json", 413),
    ],
)
def test_malformed_and_oversized_messages_are_4xx(
    pair: tuple[seal.PartyKeys, str], body: bytes, content_type: str, status: int
) -> None:
    keys, url = pair
    headers = signed_headers(keys, body, message_id=uuid.uuid4().hex, content_type=content_type)
    answer = post(url, body, headers)
    assert answer.status_code == status, answer.text


def test_a_document_signed_by_another_party_than_the_sender_is_refused(
    pair: tuple[seal.PartyKeys, str],
) -> None:
    """KOR may not pass on words it did not sign: a note signed by an unknown USA key."""
    keys, url = pair
    usa = seal.PartyKeys.generate("USA", at=at("2019-01-01T00:00Z"))
    body = note(usa)
    answer = post(url, body, signed_headers(keys, body, message_id=uuid.uuid4().hex))
    assert answer.status_code == 400


@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=256), other=st.binary(max_size=256))
def test_the_digest_names_exactly_one_body(body: bytes, other: bytes) -> None:
    headers = signed_headers(KEYS, body, message_id="p")
    assert digest_matches(headers["content-digest"], hashlib.sha256(body).digest())
    assert digest_matches(headers["content-digest"], hashlib.sha256(other).digest()) == (
        body == other
    )


@settings(max_examples=25, deadline=None)
@given(path=st.from_regex(r"/[a-z0-9/]{0,30}", fullmatch=True))
def test_a_signature_verifies_only_for_its_own_path(path: str) -> None:
    keys = KEYS
    directory = seal.Directory([seal.PublicKeyRecord.for_party(keys)])
    headers = signed_headers(keys, b"{}", message_id="p")
    seen: set[str] = set()

    def remember(nonce: str, _key: str) -> bool:
        fresh = nonce not in seen
        seen.add(nonce)
        return fresh

    def check(at_path: str) -> bool:
        seen.clear()
        try:
            verify_request("POST", at_path, headers, directory, recipient="JPN", now=time.time(), fresh_nonce=remember)  # fmt: skip
        except SignatureError:
            return False
        return True

    assert check(PATH)
    assert check(path) == (path == PATH)
