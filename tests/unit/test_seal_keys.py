"""Key folders: permissions, passphrases, rotation."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pactshare.errors import EnvelopeKeyError
from pactshare.seal import init_keys, load_keys, rotate_keys
from tests.seal_support import AT


def test_private_key_files_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    init_keys(tmp_path / "kor", "KOR", at=AT)
    pems = sorted((tmp_path / "kor").glob("*.pem"))
    assert [p.name for p in pems] == ["encryption-1.pem", "signing-1.pem"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in pems} == {0o600}


def test_loaded_keys_are_the_created_keys(tmp_path: Path) -> None:
    made = init_keys(tmp_path / "kor", "KOR", at=AT)
    loaded = load_keys(tmp_path / "kor")
    assert loaded.party == "KOR"
    assert loaded.signing_key_id == made.signing_key_id
    assert loaded.decryption_keys().keys() == made.decryption_keys().keys()


def test_init_refuses_to_overwrite_a_key_folder(tmp_path: Path) -> None:
    init_keys(tmp_path / "kor", "KOR", at=AT)
    with pytest.raises(EnvelopeKeyError, match="already holds keys"):
        init_keys(tmp_path / "kor", "KOR", at=AT)


def test_init_rejects_a_party_that_is_not_a_three_letter_code(tmp_path: Path) -> None:
    with pytest.raises(EnvelopeKeyError, match="three-letter"):
        init_keys(tmp_path / "k", "Korea", at=AT)


def test_passphrase_protected_keys_need_the_passphrase(tmp_path: Path) -> None:
    init_keys(tmp_path / "kor", "KOR", at=AT, passphrase=b"correct horse")
    assert b"ENCRYPTED" in (tmp_path / "kor" / "signing-1.pem").read_bytes()
    assert load_keys(tmp_path / "kor", passphrase=b"correct horse").party == "KOR"
    with pytest.raises(EnvelopeKeyError, match="passphrase"):
        load_keys(tmp_path / "kor")
    with pytest.raises(EnvelopeKeyError, match="wrong passphrase"):
        load_keys(tmp_path / "kor", passphrase=b"battery staple")


def test_rotation_adds_a_generation_and_keeps_the_old_decryption_key(tmp_path: Path) -> None:
    first = init_keys(tmp_path / "kor", "KOR", at=AT)
    rotated = rotate_keys(tmp_path / "kor", at=AT)
    assert rotated.current.generation == 2
    assert rotated.signing_key_id != first.signing_key_id
    assert set(first.decryption_keys()) < set(load_keys(tmp_path / "kor").decryption_keys())


def test_missing_key_folder_is_a_key_error(tmp_path: Path) -> None:
    with pytest.raises(EnvelopeKeyError, match="no key folder"):
        load_keys(tmp_path / "nowhere")


def test_key_file_swapped_for_another_key_is_detected(tmp_path: Path) -> None:
    init_keys(tmp_path / "kor", "KOR", at=AT)
    init_keys(tmp_path / "jpn", "JPN", at=AT)
    (tmp_path / "kor" / "signing-1.pem").write_bytes(
        (tmp_path / "jpn" / "signing-1.pem").read_bytes()
    )
    with pytest.raises(EnvelopeKeyError, match="do not match their ids"):
        load_keys(tmp_path / "kor")


# The private-key file format as docs/envelope.md ("Private key folders") states it.
_PBES2 = bytes.fromhex("06092a864886f70d01050d")
_PBKDF2 = bytes.fromhex("06092a864886f70d01050c")
_HMAC_SHA256 = bytes.fromhex("06082a864886f70d0209")
_AES_256_CBC = bytes.fromhex("060960864801650304012a")
_ITERATIONS_2048 = bytes.fromhex("02020800")


def _der(pem: bytes, kind: bytes) -> bytes:
    lines = pem.decode("ascii").strip().splitlines()
    assert (lines[0], lines[-1]) == (
        f"-----BEGIN {kind.decode()}-----",
        f"-----END {kind.decode()}-----",
    )
    return base64.b64decode("".join(lines[1:-1]))


def test_unencrypted_key_files_are_plain_pkcs8_pem_with_the_raw_key(tmp_path: Path) -> None:
    made = init_keys(tmp_path / "kor", "KOR", at=AT)
    der = _der((tmp_path / "kor" / "signing-1.pem").read_bytes(), b"PRIVATE KEY")
    raw = made.signing_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert der.endswith(bytes([0x04, 0x22, 0x04, 0x20]) + raw)  # RFC 8410 OneAsymmetricKey
    index = json.loads((tmp_path / "kor" / "party.json").read_text(encoding="utf-8"))
    assert index["encrypted"] is False
    assert set(index) == {"party", "encrypted", "generations"}
    assert set(index["generations"][0]) == {
        "generation", "created_at", "signing_key_id", "encryption_key_id"
    }  # fmt: skip


def test_encrypted_key_files_are_pbes2_pbkdf2_sha256_2048_aes256cbc(tmp_path: Path) -> None:
    init_keys(tmp_path / "kor", "KOR", at=AT, passphrase=b"correct horse")
    for name in ("signing-1.pem", "encryption-1.pem"):
        der = _der((tmp_path / "kor" / name).read_bytes(), b"ENCRYPTED PRIVATE KEY")
        for part in (_PBES2, _PBKDF2, _HMAC_SHA256, _AES_256_CBC, _ITERATIONS_2048):
            assert part in der, (name, part.hex())
    index = json.loads((tmp_path / "kor" / "party.json").read_text(encoding="utf-8"))
    assert index["encrypted"] is True


@pytest.mark.parametrize(
    ("index", "words"),
    [
        ("not json", "not a pactshare key index"),
        ('{"party": "KOR", "generations": {}}', "not a pactshare key index"),
        ('{"party": "KOR", "generations": [{"generation": 1}]}', "malformed generation entry"),
    ],
)
def test_a_broken_key_index_is_a_key_error(tmp_path: Path, index: str, words: str) -> None:
    init_keys(tmp_path / "kor", "KOR", at=AT)
    (tmp_path / "kor" / "party.json").write_text(index, encoding="utf-8")
    with pytest.raises(EnvelopeKeyError, match=words):
        load_keys(tmp_path / "kor")


def test_a_missing_or_unreadable_private_key_is_a_key_error(tmp_path: Path) -> None:
    init_keys(tmp_path / "kor", "KOR", at=AT)
    (tmp_path / "kor" / "encryption-1.pem").write_text("not a key", encoding="utf-8")
    with pytest.raises(EnvelopeKeyError, match="wrong passphrase or not a private key"):
        load_keys(tmp_path / "kor")
    (tmp_path / "kor" / "encryption-1.pem").unlink()
    with pytest.raises(EnvelopeKeyError, match="cannot read private key"):
        load_keys(tmp_path / "kor")


def test_a_key_of_the_wrong_type_is_a_key_error(tmp_path: Path) -> None:
    init_keys(tmp_path / "kor", "KOR", at=AT)
    folder = tmp_path / "kor"
    (folder / "encryption-1.pem").write_bytes((folder / "signing-1.pem").read_bytes())
    with pytest.raises(EnvelopeKeyError, match="keys of the wrong type"):
        load_keys(folder)
