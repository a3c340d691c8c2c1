"""A peer's federation request, refused or malformed, must not learn the receiving node's
local paths: the body is spooled to a temporary file in the node's home, and the problem
details named that file (``/…/jpn/inbound-abc123/body: this node's agreements do not allow…``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pactshare.federation.delivery import PATH
from pactshare.node.items import register
from pactshare.node.notes import give_note
from pactshare.node.packages import read_manifest
from pactshare.node.provision import provide
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from tests.e2e.federation_support import signed_headers
from tests.http_support import LABEL_TOML
from tests.support import GSOMIA, Clock, at, exchange_assurances, pinned_nodes

CLOCK = Clock(at("2019-08-01T10:00:00+09:00"))


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    CLOCK.now = at("2019-08-01T10:00:00+09:00")
    nodes = pinned_nodes(tmp_path, CLOCK, ("KOR", "JPN"))
    yield nodes["KOR"], nodes["JPN"]
    for node in nodes.values():
        node.close()


def _package(kor: Node, tmp_path: Path) -> tuple[str, bytes]:
    (tmp_path / "item.txt").write_text("telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL_TOML, encoding="utf-8")
    item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
    provide(kor, item, "JPN", package=tmp_path / "package.zip")
    manifest, archive = read_manifest(tmp_path / "package.zip", kor.directory)
    archive.close()
    return manifest.package_id, (tmp_path / "package.zip").read_bytes()


def _post(url: str, kor: Node, body: bytes, message_id: str, content_type: str) -> httpx.Response:
    headers = signed_headers(kor.keys, body, message_id=message_id, content_type=content_type)
    return httpx.post(url + PATH, content=body, headers=headers, timeout=30)


def _shows_no_path(answer: httpx.Response, node: Node) -> None:
    text = answer.text
    assert str(node.home.root) not in text
    assert "inbound-" not in text
    assert "/body" not in text


def test_a_refused_package_answers_422_naming_the_message_not_our_temporary_file(
    tmp_path: Path, pair: tuple[Node, Node]
) -> None:
    kor, jpn = pair
    # JPN's notice stays in JPN's outbox (no worker runs): for JPN, GSOMIA lapsed on
    # 23 November 2018, while KOR's copy still has it in force.
    CLOCK.now = at("2018-08-01T10:00:00+09:00")
    exchange_assurances({"KOR": kor, "JPN": jpn})  # back in time: assured then (AT-16)
    give_note(jpn, GSOMIA, "notice_of_termination")
    CLOCK.now = at("2018-12-01T10:00:00+09:00")
    package_id, body = _package(kor, tmp_path)
    with NodeServer(jpn, port=0) as server:
        server.worker.stop()
        answer = _post(server.url, kor, body, package_id, "application/zip")
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith(f"message {package_id}: ")
    _shows_no_path(answer, jpn)


def test_a_malformed_package_answers_400_naming_the_message_not_our_temporary_file(
    tmp_path: Path, pair: tuple[Node, Node]
) -> None:
    kor, jpn = pair
    with NodeServer(jpn, port=0) as server:
        server.worker.stop()
        answer = _post(server.url, kor, b"PK\x03\x04 not a zip", "m-1", "application/zip")
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith("message m-1: not a transfer package")
    _shows_no_path(answer, jpn)
