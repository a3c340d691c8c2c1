"""Generate the golden envelopes of format v1 under tests/vectors/seal-v1/ (run once).

The keys are derived from fixed seeds so that they can be re-derived; the envelopes contain
fresh randomness (data key, ids, HPKE ephemeral keys), so re-running this script produces
different envelopes: do not re-run it for an existing format version. A future version of
pactshare must still open the committed files (tests/integration/test_seal_vectors.py).

    .venv/bin/python tests/vectors/make_seal_v1.py
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pactshare import seal
from pactshare.seal import Directory, KeyGeneration, Label, PartyKeys, PublicKeyRecord
from pactshare.seal.keys import _write_generation, _write_index  # a test tool may reach in

HERE = Path(__file__).parent / "seal-v1"
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CHUNK = 256


def _seed(text: str) -> bytes:
    return hashlib.sha256(f"pactshare golden vectors v1: {text}".encode()).digest()


def fixed_keys(party: str) -> PartyKeys:
    generation = KeyGeneration(
        generation=1,
        created_at=AT,
        signing_key=Ed25519PrivateKey.from_private_bytes(_seed(f"{party} signing")),
        encryption_key=X25519PrivateKey.from_private_bytes(_seed(f"{party} encryption")),
    )
    return PartyKeys(party, (generation,))


def main() -> None:
    parties = {p: fixed_keys(p) for p in ("KOR", "JPN", "USA")}
    (HERE / "directory").mkdir(parents=True, exist_ok=True)
    for party, keys in parties.items():
        folder = HERE / "keys" / party
        folder.mkdir(parents=True, exist_ok=True)
        _write_generation(folder, keys.current, None)
        _write_index(folder, keys, encrypted=False)
        (HERE / "directory" / f"{party}.json").write_bytes(PublicKeyRecord.export(keys))
    directory = Directory.from_folder(HERE / "directory")
    label = Label.from_mapping(
        {
            "policy": "KR-JP GSOMIA 2016",
            "originator": "KOR",
            "classification": "KR-II",
            "topics": ["nk-missile-launch"],
            "releasable_to": ["JPN", "USA"],
            "caveats": ["golden-vector"],
            "purpose": "format v1 known-answer test",
            "item_id": "golden-0001",
            "created_at": "2026-11-23T09:00:00Z",
        }
    )
    plaintext = b"".join(f"line {i:03d}: launch detected\n".encode() for i in range(24))
    (HERE / "plaintext.txt").write_bytes(plaintext)
    (HERE / "label.json").write_bytes(label.canonical_bytes())
    recipients = [directory.current("JPN"), directory.current("USA")]
    envelope = b"".join(
        seal.seal(io.BytesIO(plaintext), label, parties["KOR"], recipients, chunk_size=CHUNK)
    )
    (HERE / "envelope.psx").write_bytes(envelope)
    only_usa = b"".join(
        seal.seal(io.BytesIO(plaintext), label, parties["KOR"], recipients[1:], chunk_size=CHUNK)
    )
    rewrapped = b"".join(
        seal.rewrap(io.BytesIO(only_usa), parties["USA"], directory, to=recipients[:1], at=AT)
    )
    (HERE / "rewrapped.psx").write_bytes(rewrapped)
    info = seal.inspect(io.BytesIO(envelope))
    expected = {
        "envelope.psx": {"envelope_id": info.envelope_id, "size": len(envelope)},
        "rewrapped.psx": {
            "envelope_id": seal.inspect(io.BytesIO(rewrapped)).envelope_id,
            "size": len(rewrapped),
        },
        "plaintext_sha256": hashlib.sha256(plaintext).hexdigest(),
    }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
