"""Seal and open throughput beside AES-256-GCM + BLAKE3, per-item rates beside primitives.

    python bench/seal.py [--quick]

Large payloads: seal and open rates (MiB/s) of 4 KiB, 1 MiB and 64 MiB payloads in memory,
next to the work every envelope needs, done on one thread and measured in the same run:
AES-256-GCM of the same library over the same bytes in chunks of the same size, and BLAKE3
over the ciphertexts. Target: 0.9 of that at 64 MiB.

Small items: seals/s and opens/s of 4 KiB items for one recipient, next to the
sum-of-primitives limit measured in the same run (one Ed25519 signature or verification, one
HPKE encapsulation or decapsulation per recipient, the AES-GCM work). Targets: 0.75 for
seal, 0.65 for open.
"""

from __future__ import annotations

import collections
import os
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Figure, Rate, interleaved, main
from blake3 import blake3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pactshare import seal
from pactshare.seal import Directory, Label, PartyKeys, PublicKeyRecord
from pactshare.seal._encoding import parse_utc_text
from pactshare.seal.binding import wrap_info
from pactshare.seal.envelope import HPKE_SUITE
from pactshare.seal.stream import spare_core

KIB = 1024
MIB = 1024 * KIB
ITEM = 4 * KIB


def _drain(pieces: collections.abc.Iterable[object]) -> None:
    collections.deque(pieces, maxlen=0)


def _repeat(work: Callable[[], object], times: int) -> None:
    for _ in range(times):
        work()


class _Setup:
    def __init__(self) -> None:
        at = parse_utc_text("2026-11-23T09:00:00Z")
        self.kor = PartyKeys.generate("KOR", at=at)
        self.jpn = PartyKeys.generate("JPN", at=at)
        self.directory = Directory([PublicKeyRecord.for_party(k) for k in (self.kor, self.jpn)])
        self.label = Label.from_mapping(
            {
                "policy": "gsomia-kor-jpn-2016",
                "originator": "KOR",
                "classification": "kor-mil-2",
                "topics": ["dprk-missile/slbm"],
                "releasable_to": ["JPN"],
                "item_id": "bench",
                "created_at": "2026-11-23T09:00:00Z",
            }
        )
        self.to = [self.directory.current("JPN")]

    # Payloads and envelopes are handed over as bytes, which seal and open read without
    # copying, as AES-GCM reads its input; a stream would add one copy on the way in.
    def seal(self, payload: bytes) -> None:
        # Each item comes with its own label: forget the canonical bytes cached by the last
        # seal, so that every seal pays for canonicalising its label as it would in use.
        object.__setattr__(self.label, "_canonical", None)
        _drain(seal.seal(payload, self.label, self.kor, self.to))

    def sealed(self, payload: bytes) -> bytes:
        return b"".join(seal.seal(payload, self.label, self.kor, self.to))

    def open(self, envelope: bytes) -> None:
        _, plaintext = seal.open(envelope, self.jpn, self.directory)
        _drain(plaintext)


def _primitives(payload: bytes, *, decrypt: bool) -> Callable[[], object]:
    """AES-256-GCM over ``payload`` in chunks, and BLAKE3 over the ciphertexts, on one thread:
    the work of sealing or opening it without the envelope around. Each chunk is encrypted
    (or decrypted) into one reused buffer, so that the baseline pays for no allocation."""
    aead = AESGCM(AESGCM.generate_key(256))
    nonce = bytes(12)
    view = memoryview(payload)
    chunk = seal.CHUNK_SIZE
    starts = range(0, len(view), chunk)
    buffer = memoryview(bytearray(chunk + 16))  # a chunk and its tag

    def encrypt() -> None:
        digest = blake3()
        for i in starts:
            piece = view[i : i + chunk]
            out = buffer[: len(piece) + 16]
            aead.encrypt_into(nonce, piece, b"", out)
            digest.update(out)
        digest.digest()

    if not decrypt:
        return encrypt
    sealed = [aead.encrypt(nonce, view[i : i + chunk], b"") for i in starts]

    def decrypt_all() -> None:
        digest = blake3()
        for ciphertext in sealed:
            digest.update(ciphertext)
            aead.decrypt_into(nonce, ciphertext, b"", buffer[: len(ciphertext) - 16])
        digest.digest()

    return decrypt_all


def _throughput(setup: _Setup, size: int, runs: int) -> list[Figure]:
    """MiB/s of seal and open beside AES-256-GCM and BLAKE3 over the same bytes."""
    payload = os.urandom(size)
    envelope = setup.sealed(payload)
    repeat = max(1, (16 * MIB) // size)  # enough work per timed run to be measurable
    encrypt = _primitives(payload, decrypt=False)
    decrypt = _primitives(payload, decrypt=True)
    rates = interleaved(
        {
            "seal": lambda: _repeat(lambda: setup.seal(payload), repeat),
            "encrypt": lambda: _repeat(encrypt, repeat),
            "open": lambda: _repeat(lambda: setup.open(envelope), repeat),
            "decrypt": lambda: _repeat(decrypt, repeat),
        },
        ops=repeat,
        runs=runs,
    )
    name = f"{size // MIB} MiB" if size >= MIB else f"{size // KIB} KiB"
    target = 0.9 if size == 64 * MIB else None
    return [
        Figure(
            figure=f"{verb} {name}",
            unit="MiB/s",
            ours=_scaled(rates[verb], size / MIB),
            baseline_name=f"AES-256-GCM {raw} + BLAKE3, 1 thread",
            baseline=_scaled(rates[raw], size / MIB),
            target_ratio=target,
            target=">= 0.90x primitives" if target else "-",
        )
        for verb, raw in (("seal", "encrypt"), ("open", "decrypt"))
    ]


def _scaled(rate: Rate, factor: float) -> Rate:
    return Rate(rate.median * factor, rate.low * factor, rate.high * factor)


def _per_item(setup: _Setup, runs: int) -> list[Figure]:
    payload = os.urandom(ITEM)
    envelope = setup.sealed(payload)
    batch = 300
    signing = setup.kor.signing_key
    verifying = signing.public_key()
    message = os.urandom(600)  # about the size of the signed message of a 4 KiB item
    signature = signing.sign(message)
    recipient = setup.to[0]
    info = wrap_info(
        envelope_id=bytes(16),
        label=setup.label,
        recipient_key_id=recipient.encryption_key_id,
        wrapper_key_id=setup.kor.signing_key_id,
    )
    data_key = os.urandom(32)
    wrapped = HPKE_SUITE.encrypt(data_key, recipient.encryption_key, info=info)
    private = setup.jpn.current.encryption_key
    aead = AESGCM(data_key)
    nonce = bytes(12)
    ciphertext = aead.encrypt(nonce, payload, b"")

    rates = interleaved(
        {
            "seal": lambda: _repeat(lambda: setup.seal(payload), batch),
            "sign": lambda: _repeat(lambda: signing.sign(message), batch),
            "encap": lambda: _repeat(
                lambda: HPKE_SUITE.encrypt(data_key, recipient.encryption_key, info=info), batch
            ),
            "encrypt": lambda: _repeat(lambda: aead.encrypt(nonce, payload, b""), batch),
            "open": lambda: _repeat(lambda: setup.open(envelope), batch),
            "verify": lambda: _repeat(lambda: verifying.verify(signature, message), batch),
            "decap": lambda: _repeat(
                lambda: HPKE_SUITE.decrypt(wrapped, private, info=info), batch
            ),
            "decrypt": lambda: _repeat(lambda: aead.decrypt(nonce, ciphertext, b""), batch),
        },
        ops=batch,
        runs=runs,
    )

    def limit(*names: str) -> Rate:
        """Items/s if an item cost only the sum of its primitives' times."""
        parts = [rates[n] for n in names]
        return Rate(*(1 / sum(1 / getattr(p, f) for p in parts) for f in ("median", "low", "high")))

    return [
        Figure(
            figure="seal 4 KiB items, 1 recipient",
            unit="items/s",
            ours=rates["seal"],
            baseline_name="sign + HPKE encap + AES-GCM",
            baseline=limit("sign", "encap", "encrypt"),
            target_ratio=0.75,
            target=">= 0.75x primitives",
        ),
        Figure(
            figure="open 4 KiB items, 1 recipient",
            unit="items/s",
            ours=rates["open"],
            baseline_name="verify + HPKE decap + AES-GCM",
            baseline=limit("verify", "decap", "decrypt"),
            target_ratio=0.65,
            target=">= 0.65x primitives",
        ),
    ]


def run(quick: bool) -> list[Figure]:
    # The two cores may be shared: the load says how far the figures can be trusted (the
    # seal and open pipelines may use both cores, their baselines one).
    print(
        f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
        f"digest on a helper thread: {'yes' if spare_core() else 'no (no spare core)'}"
    )
    setup = _Setup()
    runs = 3 if quick else 9
    figures = []
    for size in (ITEM, MIB, 64 * MIB):
        figures.extend(_throughput(setup, size, runs))
    figures.extend(_per_item(setup, runs))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return figures


if __name__ == "__main__":
    main(run)
