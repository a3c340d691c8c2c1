"""Generate the golden derived envelope of format v1 (R-TRA-1) under tests/vectors/seal-v1/
(run once): JPN's Korean translation of the golden item, under a derived label JPN signs,
sealed for JPN with the golden keys. Like make_seal_v1.py, re-running it makes a different
envelope (fresh randomness): do not re-run it once committed.

    .venv/bin/python -m tests.vectors.make_seal_v1_derived
"""

from __future__ import annotations

import io
import json

from pactshare import seal
from pactshare.seal import Directory, Label
from tests.vectors.make_seal_v1 import CHUNK, HERE, fixed_keys


def main() -> None:
    directory = Directory.from_folder(HERE / "directory")
    original = (HERE / "label.json").read_bytes()
    label = Label.from_mapping(
        {
            **Label.from_canonical_bytes(original).as_json(),
            "item_id": "golden-0001-ko",
            "created_at": "2026-11-23T10:00:00Z",
            "derived_from": seal.label_digest(original),
            "derived_by": "JPN",
            "derivation": "translation",
            "language": "ko",
            "note": "이 번역물에는 제공당사자(KOR)의 군사비밀정보가 포함되어 있음.",
        }
    )
    plaintext = "발사 탐지\n".encode() * 40
    (HERE / "derived-plaintext.txt").write_bytes(plaintext)
    (HERE / "derived-label.json").write_bytes(label.canonical_bytes())
    envelope = b"".join(
        seal.seal(
            io.BytesIO(plaintext),
            label,
            fixed_keys("JPN"),
            [directory.current("JPN")],
            chunk_size=CHUNK,
        )
    )
    (HERE / "derived.psx").write_bytes(envelope)
    expected = {"envelope_id": seal.inspect(io.BytesIO(envelope)).envelope_id}
    (HERE / "derived.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
