"""Shared test material for the seal tests: parties, a directory, labels, envelope surgery."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from pactshare import seal
from pactshare.seal import Directory, Label, PartyKeys, PublicKeyRecord

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    """Three parties with keys and a directory that pins all three."""

    kor: PartyKeys
    jpn: PartyKeys
    usa: PartyKeys
    directory: Directory


def make_world() -> World:
    kor, jpn, usa = (PartyKeys.generate(p, at=AT) for p in ("KOR", "JPN", "USA"))
    records = [PublicKeyRecord.from_bytes(PublicKeyRecord.export(k)) for k in (kor, jpn, usa)]
    return World(kor, jpn, usa, Directory(records))


def make_label(originator: object = "KOR", **changes: object) -> Label:
    fields: dict[str, object] = {
        "policy": "gsomia-kor-jpn-2016",
        "originator": originator,
        "classification": "kor-mil-2",
        "topics": ["dprk-missile/slbm"],
        "releasable_to": ["JPN", "USA"],
        "item_id": "item-0001",
        "created_at": "2026-11-23T09:00:00Z",
    }
    fields.update(changes)
    return Label.from_mapping(fields)


def seal_bytes(
    world: World,
    payload: bytes,
    *,
    to: tuple[str, ...] = ("JPN",),
    chunk_size: int = seal.CHUNK_SIZE,
    label: Label | None = None,
) -> bytes:
    recipients = [world.directory.current(p) for p in to]
    pieces = seal.seal(
        io.BytesIO(payload), label or make_label(), world.kor, recipients, chunk_size=chunk_size
    )
    return b"".join(pieces)


def open_bytes(world: World, envelope: bytes, keys: PartyKeys | None = None) -> bytes:
    _, plaintext = seal.open(io.BytesIO(envelope), keys or world.jpn, world.directory)
    return b"".join(plaintext)


@dataclass(frozen=True)
class Parts:
    """An envelope cut at its section boundaries (see docs/envelope.md)."""

    front: bytes  # preamble, header and hop sections
    records: list[bytes]  # each chunk record: flag, length, ciphertext and tag
    trailer: bytes

    def join(self) -> bytes:
        return self.front + b"".join(self.records) + self.trailer


def split(envelope: bytes) -> Parts:
    offset = 6
    for _ in range(2):  # header, then hop records
        (length,) = struct.unpack_from(">I", envelope, offset)
        offset += 4 + length
    front = envelope[:offset]
    records = []
    while True:
        flag, length = struct.unpack_from(">BI", envelope, offset)
        records.append(envelope[offset : offset + 5 + length])
        offset += 5 + length
        if flag == 1:
            break
    return Parts(front, records, envelope[offset:])
