"""Fuzz target: whatever a peer sends to ``POST /federation/v1/messages`` — a transfer package
(a ZIP) or a signed document (JSON), mutated from valid ones or made up — the node answers
without a 5xx, logs no error, and writes nothing unless it accepted the message.

The request is always signed by a pinned peer (JPN), so the body gets past the RFC 9421 check
and reaches the parsers and handlers. A few hundred examples by default; more with, e.g.,
``PACTSHARE_EXAMPLES=5000 python -m pytest tests/adversarial/test_fuzz_packages_and_bodies.py``.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pactshare import seal
from pactshare.federation.delivery import PATH
from pactshare.federation.inbound import HANDLERS
from pactshare.node import NodeHome
from pactshare.node.documents import sign_document
from pactshare.node.items import register
from pactshare.node.provision import provide
from pactshare.node.service import Node
from tests.e2e.federation_support import signed_headers
from tests.http_support import BEFORE_MIDNIGHT, LiveNode
from tests.properties.conftest import examples
from tests.support import GSOMIA, Clock, footprint

JSON_TYPE, ZIP_TYPE = "application/json", "application/zip"
JPN_LABEL = f"""policy = "{GSOMIA}"
originator = "JPN"
classification = "極秘"
topics = ["dprk-missile"]
releasable_to = ["KOR"]
"""

#: JSON values a document body may hold once canonicalised (safe integers, no floats).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
    | st.sampled_from(["JPN", "KOR", "USA", GSOMIA, "2019-11-22T12:00:00+09:00", "release"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "item_id",
                    "holder",
                    "originator",
                    "kind",
                    "subject",
                    "approval_id",
                    "event",
                    "at",
                    "id",
                    "party",
                    "agreement",
                    "heads",
                    "body",
                    "x",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=20,
)


def _mutated(data: bytes, draw: st.DrawFn) -> bytes:
    """``data`` with a few byte edits, insertions, deletions or cuts."""
    out = bytearray(data)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=max(0, len(out) - 1)))
        kind = draw(st.sampled_from(["set", "insert", "delete", "cut"]))
        if kind == "set" and out:
            out[at] = draw(st.integers(min_value=0, max_value=255))
        elif kind == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del out[at : at + draw(st.integers(min_value=1, max_value=8))]
        else:
            del out[at:]
    return bytes(out)


def _rezipped(package: bytes, manifest: bytes) -> bytes:
    """``package`` with its manifest replaced (the envelope kept)."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        envelope = source.read("envelope.psx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", manifest)
        archive.writestr("envelope.psx", envelope)
    return buffer.getvalue()


Message = tuple[bytes, str, str]  # body, content type, message id


def messages(keys: seal.PartyKeys, package: bytes, package_id: str) -> st.SearchStrategy[Message]:
    """Hostile messages from JPN: mutated packages and manifests, mutated and invented
    signed documents of every kind."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        manifest = archive.read("manifest.json")
    note = json.dumps(sign_document("diplomatic-note", {"agreement": GSOMIA, "event": {
        "id": "jpn-fuzz", "kind": "notice_of_termination", "party": "JPN",
        "at": "2019-11-22T12:00:00+09:00"}}, keys)).encode()  # fmt: skip

    @st.composite
    def build(draw: st.DrawFn) -> Message:
        fresh = uuid.uuid4().hex
        choice = draw(st.integers(min_value=0, max_value=4))
        if choice == 0:  # the package's bytes, mutated
            return _mutated(package, draw), ZIP_TYPE, package_id
        if choice == 1:  # its manifest mutated, re-zipped
            return _rezipped(package, _mutated(manifest, draw)), ZIP_TYPE, package_id
        if choice == 2:  # a signed note, mutated
            return _mutated(note, draw), JSON_TYPE, fresh
        kind = draw(st.sampled_from(sorted(HANDLERS)))
        body = draw(st.dictionaries(st.sampled_from(["item_id", "holder", "originator", "kind",
                                                     "subject", "approval_id", "event", "at"]),
                                    json_values, max_size=6))  # fmt: skip
        body.setdefault("holder", "JPN")
        body.setdefault("originator", draw(st.sampled_from(["JPN", "KOR"])))
        document = sign_document(kind, body, keys)  # signed: it reaches the handler
        if choice == 3:
            return json.dumps(document).encode(), JSON_TYPE, fresh
        return _mutated(json.dumps(document).encode(), draw), JSON_TYPE, fresh

    return build()


@pytest.fixture
def jpn_package(live: LiveNode, tmp_path: Path) -> tuple[bytes, str]:
    """A valid package JPN made for the live KOR node (JPN's home is the live node's peer)."""
    jpn_home = NodeHome(tmp_path / "jpn")
    (jpn_home.directory / "KOR.json").write_bytes(live.node.home.public_key.read_bytes())
    jpn = Node(jpn_home, clock=Clock(BEFORE_MIDNIGHT))
    try:
        (tmp_path / "label.toml").write_text(JPN_LABEL, encoding="utf-8")
        (tmp_path / "item.txt").write_text("fuzzed item", encoding="utf-8")
        item = register(jpn, tmp_path / "item.txt", tmp_path / "label.toml")
        provision = provide(jpn, item, "KOR", package=tmp_path / "package.zip")
    finally:
        jpn.close()
    assert provision.package is not None
    return provision.package.read_bytes(), provision.provision_id


@pytest.mark.slow
def test_no_message_from_a_peer_causes_a_5xx_an_error_log_or_a_write_unless_accepted(
    live: LiveNode,
    tmp_path: Path,
    jpn_package: tuple[bytes, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    keys = seal.load_keys(NodeHome(tmp_path / "jpn").keys)
    package, package_id = jpn_package
    state = {"held": footprint(live.node)}
    caplog.set_level(logging.ERROR)
    client = live.client()
    send: Callable[[Message], httpx.Response] = lambda m: client.post(  # noqa: E731
        PATH, content=m[0], headers=signed_headers(keys, m[0], message_id=m[2], content_type=m[1])
    )

    @settings(
        max_examples=examples(300, 200),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(message=messages(keys, package, package_id))
    def attack(message: Message) -> None:
        response = send(message)
        assert response.status_code < 500, response.text
        now_held = footprint(live.node)
        if response.status_code >= 400:
            assert now_held == state["held"], f"refused ({response.status_code}) but written"
        state["held"] = now_held
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, errors[0].getMessage()

    try:
        attack()
    finally:
        client.close()
