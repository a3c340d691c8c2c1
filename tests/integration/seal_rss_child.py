"""Child process of the memory test: seal SIZE bytes generated on the fly, pipe the envelope
into open through a bounded in-memory stream, check the plaintext, print peak RSS in KiB.

    python tests/integration/seal_rss_child.py SIZE
"""

from __future__ import annotations

import io
import os
import resource
import sys
import zlib
from collections.abc import Iterator

from pactshare import seal
from pactshare.seal import Directory, Label, PartyKeys, PublicKeyRecord
from pactshare.seal._encoding import parse_utc_text

BLOCK = os.urandom(1024 * 1024)


class Generated(io.RawIOBase):
    """``size`` bytes repeating one random block, produced on demand (never held whole)."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.offset = 0
        self.crc = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # typeshed: Buffer
        n = min(len(buffer), self.remaining, len(BLOCK) - self.offset)
        buffer[:n] = BLOCK[self.offset : self.offset + n]
        self.crc = zlib.crc32(buffer[:n], self.crc)
        self.offset = (self.offset + n) % len(BLOCK)
        self.remaining -= n
        return n


class Pipe(io.RawIOBase):
    """A readable stream over an iterator of byte pieces: holds one piece at a time."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self.pieces = pieces
        self.current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # typeshed: Buffer
        while not self.current:
            piece = next(self.pieces, None)
            if piece is None:
                return 0
            self.current = memoryview(piece)
        n = min(len(buffer), len(self.current))
        buffer[:n] = self.current[:n]
        self.current = self.current[n:]
        return n


def peak_rss_kib() -> int:
    """This process's peak resident set in KiB, as the kernel accounts it.

    Linux's VmHWM belongs to this address space only. ``ru_maxrss`` is not used where
    /proc exists: it keeps the high-water mark of the forked parent image across exec, so a
    child of a large test runner would report the runner's size.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(size: int) -> None:
    at = parse_utc_text("2026-11-23T09:00:00Z")
    kor, jpn = PartyKeys.generate("KOR", at=at), PartyKeys.generate("JPN", at=at)
    directory = Directory([PublicKeyRecord.for_party(k) for k in (kor, jpn)])
    label = Label.from_mapping(
        {
            "policy": "gsomia-kor-jpn-2016",
            "originator": "KOR",
            "classification": "kor-mil-2",
            "topics": ["dprk-missile/slbm"],
            "releasable_to": ["JPN"],
            "item_id": "rss-test",
            "created_at": "2026-11-23T09:00:00Z",
        }
    )
    source = Generated(size)
    envelope = seal.seal(source, label, kor, [directory.current("JPN")])
    _, plaintext = seal.open(io.BufferedReader(Pipe(envelope)), jpn, directory)
    total, crc = 0, 0
    for piece in plaintext:
        total += len(piece)
        crc = zlib.crc32(piece, crc)
    if total != size or crc != source.crc:
        sys.exit(f"plaintext differs: {total} bytes, crc {crc} != {source.crc}")
    print(peak_rss_kib())  # noqa: T201 - the report


if __name__ == "__main__":
    main(int(sys.argv[1]))
