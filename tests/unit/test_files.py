"""Files written whole or not at all: the rename onto the destination is made durable too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pactshare.files import atomic_output


def test_the_folder_is_synced_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "receipt.json"
    synced: list[tuple[Path, bool]] = []  # each fsync'd path, and whether the file was there
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append((Path(os.readlink(f"/proc/self/fd/{fd}")), target.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with atomic_output(target) as out:
        out.write(b"{}")
    assert synced[-1] == (tmp_path, True)  # the folder, after the rename
    assert target.read_bytes() == b"{}"


def _write_then_fail(target: Path) -> None:
    with atomic_output(target) as out:
        out.write(b"partial")
        raise RuntimeError("refused")


def test_a_failed_block_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="refused"):
        _write_then_fail(tmp_path / "plain.txt")
    assert list(tmp_path.iterdir()) == []
