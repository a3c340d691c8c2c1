"""A zip bomb from a courier or a peer: a package whose envelope expands far past what its
sender declared (511 KB of package used to leave 513 MB in ``objects/``).

A package may expand only to the envelope size its manifest declares: an entry that says
otherwise, or that claims to expand a ciphertext many times, is refused before it is read,
and one that lies in its headers is cut off at the declared size. Whatever refuses it, no
file is left in ``objects/`` or in a temporary folder, and nothing in the database.
"""

from __future__ import annotations

import json
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from pactshare.errors import PackageError, RefusedError
from pactshare.federation.delivery import PATH
from pactshare.node.items import register
from pactshare.node.notes import give_note
from pactshare.node.packages import sign_manifest
from pactshare.node.provision import provide
from pactshare.node.reception import receive
from pactshare.node.service import Node
from pactshare.server.runner import NodeServer
from pactshare.store.schema import audit_entries, envelopes, items, receipts
from tests.e2e.federation_support import signed_headers
from tests.support import GSOMIA, Clock, at, pinned_nodes

LABEL = """policy = "gsomia-kor-jpn-2016"
originator = "KOR"
classification = "군사 II급 비밀"
topics = ["dprk-missile/slbm"]
releasable_to = ["JPN"]
"""
BOMB = 128 << 20  # zeros: about 130 KB deflated
MANIFEST, ENVELOPE = "manifest.json", "envelope.psx"


@pytest.fixture
def pair(tmp_path: Path, database_url: str) -> Iterator[tuple[Node, Node, Path]]:
    """KOR and JPN (on the backend under test), and a genuine package from KOR to JPN."""
    clock = Clock(at("2019-08-01T10:00:00+09:00"))
    nodes = pinned_nodes(tmp_path, clock, ("KOR", "JPN"), {"JPN": database_url})
    kor, jpn = nodes["KOR"], nodes["JPN"]
    (tmp_path / "item.txt").write_text("SLBM telemetry", encoding="utf-8")
    (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
    item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
    provide(kor, item, "JPN", package=tmp_path / "genuine.zip")
    yield kor, jpn, tmp_path / "genuine.zip"
    kor.close()
    jpn.close()


def _manifest(package: Path) -> dict[str, object]:
    with zipfile.ZipFile(package) as archive:
        signed: dict[str, object] = json.loads(archive.read(MANIFEST))
    return signed


def _bomb(path: Path, manifest: dict[str, object]) -> Path:
    """A package: ``manifest`` and an envelope entry of :data:`BOMB` deflated zeros."""
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MANIFEST, json.dumps(manifest))
        entry = zipfile.ZipInfo(ENVELOPE)
        entry.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(entry, "w") as out:
            for _ in range(BOMB // len(zeros)):
                out.write(zeros)
    return path


def _lie_about_its_size(path: Path, size: int) -> None:
    """Patch the envelope entry's uncompressed size, in its local and central headers."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(ENVELOPE).header_offset
    struct.pack_into("<I", data, local + 22, size)
    central = data.rindex(b"PK\x01\x02")  # the envelope's is the last central header
    assert data[central + 46 : central + 46 + len(ENVELOPE)] == ENVELOPE.encode()
    struct.pack_into("<I", data, central + 24, size)
    path.write_bytes(bytes(data))


def _declared_size(package: Path) -> int:
    body = _manifest(package)["body"]
    assert isinstance(body, dict)
    return int(body["envelope"]["size"])


def _state(node: Node) -> tuple[list[Path], list[Path], list[int]]:
    """Every file under the node's home but its database, and what the database holds."""
    files = sorted(
        p for p in node.home.root.rglob("*") if p.is_file() and not p.name.startswith("node.db")
    )
    folders = sorted(p for p in node.home.root.rglob("*") if p.is_dir())
    with node.db.atomic() as tx:
        counts = [
            int(tx.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (items, receipts, envelopes, audit_entries)
        ]
    return files, folders, counts


def _honest_headers(kor: Node, genuine: Path, folder: Path) -> Path:
    """The courier swapped the envelope: the entry says 128 MiB, the manifest much less."""
    return _bomb(folder / "honest.zip", _manifest(genuine))


def _lying_headers(kor: Node, genuine: Path, folder: Path) -> Path:
    """The same, with the entry's headers claiming the declared size."""
    bomb = _bomb(folder / "lying.zip", _manifest(genuine))
    _lie_about_its_size(bomb, _declared_size(genuine))
    return bomb


def _declared_by_the_sender(kor: Node, genuine: Path, folder: Path) -> Path:
    """A hostile sender signs a manifest declaring the bomb's full size."""
    body = _manifest(genuine)["body"]
    assert isinstance(body, dict)
    body["envelope"]["size"] = BOMB
    return _bomb(folder / "declared.zip", sign_manifest(body, kor.keys))


BOMBS = {
    "the entry says more than the manifest": (_honest_headers, "the manifest declares"),
    "the entry lies about its size": (_lying_headers, "cannot be read|does not match"),
    "the sender declares the bomb": (_declared_by_the_sender, "does not compress"),
}


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_a_courier_package_expanding_past_its_declared_size_leaves_nothing(
    pair: tuple[Node, Node, Path], case: str
) -> None:
    kor, jpn, genuine = pair
    make, refusal = BOMBS[case]
    bomb = make(kor, genuine, genuine.parent)
    assert bomb.stat().st_size < 1 << 20  # under 1 MiB on the courier's stick
    before = _state(jpn)
    with pytest.raises(PackageError, match=refusal):
        receive(jpn, bomb)
    assert _state(jpn) == before
    receive(jpn, genuine)  # the genuine package is still received


def test_a_bomb_posted_to_the_federation_endpoint_is_a_400_and_leaves_nothing(
    pair: tuple[Node, Node, Path],
) -> None:
    kor, jpn, genuine = pair
    bomb = _lying_headers(kor, genuine, genuine.parent)
    body = bomb.read_bytes()
    package_id = str(_manifest(genuine)["body"]["package_id"])  # type: ignore[index]
    headers = signed_headers(kor.keys, body, message_id=package_id, content_type="application/zip")
    before = _state(jpn)
    with NodeServer(jpn, port=0) as server:
        server.worker.stop()
        answer = httpx.post(server.url + PATH, content=body, headers=headers, timeout=60)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert _state(jpn) == before


def test_a_package_refused_by_the_agreements_leaves_no_envelope_behind(
    tmp_path: Path, database_url: str
) -> None:
    """Not a bomb: a genuine package JPN's agreements refuse. Its envelope is not kept.

    JPN's own notice of termination stays in its outbox (no worker runs): for JPN, GSOMIA
    lapsed on 23 November 2018, while KOR's copy still has it in force."""
    clock = Clock(at("2018-08-01T10:00:00+09:00"))
    nodes = pinned_nodes(tmp_path, clock, ("KOR", "JPN"), {"JPN": database_url})
    kor, jpn = nodes["KOR"], nodes["JPN"]
    try:
        give_note(jpn, GSOMIA, "notice_of_termination")
        clock.now = at("2018-12-01T10:00:00+09:00")
        (tmp_path / "item.txt").write_text("SLBM telemetry", encoding="utf-8")
        (tmp_path / "label.toml").write_text(LABEL, encoding="utf-8")
        item = register(kor, tmp_path / "item.txt", tmp_path / "label.toml")
        genuine = provide(kor, item, "JPN", package=tmp_path / "genuine.zip").package
        assert genuine is not None
        files, folders, counts = _state(jpn)
        with pytest.raises(RefusedError):
            receive(jpn, genuine)
        after = _state(jpn)
        assert (after[0], after[1]) == (files, folders)
        assert after[2][:3] == counts[:3]  # only the refusal's audit entry was added
    finally:
        kor.close()
        jpn.close()
