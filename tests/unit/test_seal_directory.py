"""The pinned public directory of signed key records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pactshare.errors import EnvelopeKeyError
from pactshare.seal import Directory, PartyKeys, PublicKeyRecord, init_keys, rotate_keys
from tests.seal_support import AT, World


def test_exported_record_loads_with_every_generation(tmp_path: Path) -> None:
    init_keys(tmp_path / "kor", "KOR", at=AT)
    keys = rotate_keys(tmp_path / "kor", at=AT)
    record = PublicKeyRecord.from_bytes(PublicKeyRecord.export(keys))
    assert [k.generation for k in record.keys] == [1, 2]
    assert record.current.signing_key_id == keys.signing_key_id


def test_record_with_a_changed_key_is_rejected(world: World) -> None:
    data = json.loads(PublicKeyRecord.export(world.kor))
    data["record"]["party"] = "PRK"
    tampered = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    with pytest.raises(EnvelopeKeyError, match="signature does not verify"):
        PublicKeyRecord.from_bytes(tampered)


def test_record_that_is_not_json_is_rejected() -> None:
    with pytest.raises(EnvelopeKeyError, match="not a valid public key record"):
        PublicKeyRecord.from_bytes(b"\x00garbage", source="x.json")


def test_directory_loads_a_folder_of_records(tmp_path: Path, world: World) -> None:
    for keys in (world.kor, world.jpn):
        (tmp_path / f"{keys.party}.json").write_bytes(PublicKeyRecord.export(keys))
    directory = Directory.from_folder(tmp_path)
    assert directory.parties == ("JPN", "KOR")
    assert directory.signing_key(world.kor.signing_key_id)[0] == "KOR"


def test_directory_refuses_two_records_for_one_party(world: World) -> None:
    other = PartyKeys.generate("KOR", at=AT)
    records = [PublicKeyRecord.for_party(k) for k in (world.kor, other)]
    with pytest.raises(EnvelopeKeyError, match="two records for KOR"):
        Directory(records)


def test_unknown_key_id_is_a_key_error(world: World) -> None:
    with pytest.raises(EnvelopeKeyError, match="not in the public directory"):
        world.directory.signing_key("ed25519:" + "0" * 32)
    with pytest.raises(EnvelopeKeyError, match="PRK is not in the public directory"):
        world.directory.current("PRK")
