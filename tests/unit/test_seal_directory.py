"""The pinned public directory of signed key records."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def test_a_folder_is_read_by_suffix_and_a_missing_party_lists_what_was_found(
    tmp_path: Path, world: World
) -> None:
    (tmp_path / "KOR.key").write_bytes(PublicKeyRecord.export(world.kor))
    (tmp_path / "notes.txt").write_text("not a record")
    (tmp_path / ".hidden.json").write_text("not read either")
    (tmp_path / "old").mkdir()
    directory = Directory.from_folder(tmp_path)
    assert directory.parties == ("KOR",)
    with pytest.raises(EnvelopeKeyError) as caught:
        directory.current("JPN")
    assert "found KOR.key (KOR); not read: notes.txt" in str(caught.value)
    with pytest.raises(EnvelopeKeyError, match=r"encryption key .* is not in the public"):
        directory.encryption_key_party(world.kor.signing_key_id)


def test_a_folder_that_is_missing_or_holds_one_party_twice_is_refused(
    tmp_path: Path, world: World
) -> None:
    with pytest.raises(EnvelopeKeyError, match="public directory not found"):
        Directory.from_folder(tmp_path / "nowhere")
    (tmp_path / "KOR.json").write_bytes(PublicKeyRecord.export(world.kor))
    (tmp_path / "copy.key").write_bytes(PublicKeyRecord.export(world.kor))
    with pytest.raises(
        EnvelopeKeyError, match=r"KOR\.json and copy\.key both hold a record for KOR"
    ):
        Directory.from_folder(tmp_path)


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


def _tampered(world: World, change: Callable[[dict[str, Any]], None]) -> bytes:
    data = json.loads(PublicKeyRecord.export(world.kor))
    change(data)
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def _key(data: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = data["record"]["keys"][0]
    return entry


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(extra=1), "expected record, signed_by and signature"),
        (lambda d: d["record"].update(version=99), "unknown record version"),
        (lambda d: d["record"].update(party="kor"), "party is not a three-letter code"),
        (lambda d: d["record"].update(keys=[]), "no keys"),
        (lambda d: _key(d).pop("created_at"), "not a valid public key record"),
        (lambda d: _key(d).update(generation="1"), "generation must be an integer"),
        (lambda d: _key(d).update(signing_key="AAAA"), "a key is not 32 bytes"),
        (lambda d: _key(d).update(signing_key_id="ed25519:0"), "a key id does not match its key"),
        (lambda d: _key(d).update(note="x"), "fields out of order or unknown"),
        (lambda d: d.update(signed_by="ed25519:0"), "signed by its newest signing key"),
    ],
)
def test_a_record_that_breaks_its_form_is_rejected_saying_how(
    world: World, change: Callable[[dict[str, Any]], None], words: str
) -> None:
    with pytest.raises(EnvelopeKeyError, match=words):
        PublicKeyRecord.from_bytes(_tampered(world, change), source="kor.json")


def test_a_record_signed_by_an_older_generation_is_rejected(tmp_path: Path) -> None:
    init_keys(tmp_path / "kor", "KOR", at=AT)
    keys = rotate_keys(tmp_path / "kor", at=AT)
    data = json.loads(PublicKeyRecord.export(keys))
    data["signed_by"] = data["record"]["keys"][0]["signing_key_id"]
    tampered = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    with pytest.raises(EnvelopeKeyError, match="signed by its newest signing key"):
        PublicKeyRecord.from_bytes(tampered)
