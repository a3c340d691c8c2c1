"""The content-addressed object store for sealed envelopes."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from pactshare.errors import StorageError
from pactshare.store.objects import ABANDONED, ObjectStore


def test_an_object_is_stored_under_its_sha256_and_read_back(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "objects")
    digest, size = store.put_chunks([b"sealed ", b"bytes"])
    assert digest == hashlib.sha256(b"sealed bytes").hexdigest()
    assert size == 12
    with store.open(digest) as stored:
        assert stored.read() == b"sealed bytes"
    assert store.verify(digest)


def test_storing_the_same_bytes_twice_keeps_one_object(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    first, _ = store.put_chunks([b"x"])
    second, _ = store.put_chunks([b"x"])
    assert first == second
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_a_failed_write_leaves_no_partial_object(tmp_path: Path) -> None:
    def broken() -> list[bytes]:
        raise RuntimeError("the source failed mid-way")

    store = ObjectStore(tmp_path)
    with pytest.raises(RuntimeError):
        store.put_chunks(chunk for chunk in [b"part", *broken()])
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_changed_object_no_longer_verifies(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    digest, _ = store.put_chunks([b"original"])
    store.path(digest).write_bytes(b"tampered")
    assert not store.verify(digest)


def test_missing_object_and_bad_digest_are_storage_errors(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path)
    with pytest.raises(StorageError, match="missing"):
        store.open("0" * 64)
    with pytest.raises(StorageError, match="not a SHA-256 digest"):
        store.open("../../etc/passwd")


def test_an_object_with_no_file_is_read_where_else_it_is_kept(tmp_path: Path) -> None:
    data = b"a small envelope kept in the database"
    digest = hashlib.sha256(data).hexdigest()
    store = ObjectStore(tmp_path, kept={digest: data}.get)
    with store.open(digest) as source:
        assert source.read() == data
    assert store.verify(digest)
    with pytest.raises(StorageError, match="missing"):
        store.open("0" * 64)


def test_a_sweep_deletes_staged_files_a_killed_process_left_and_keeps_live_ones(
    tmp_path: Path,
) -> None:
    store = ObjectStore(tmp_path)
    digest, _ = store.put_chunks([b"sealed"])
    abandoned, live = tmp_path / ".incoming-dead", tmp_path / ".incoming-live"
    abandoned.write_bytes(b"half an envelope")
    live.write_bytes(b"being received")
    now = time.time()
    os.utime(abandoned, (now - ABANDONED - 60, now - ABANDONED - 60))
    assert store.sweep(now=now) == 1
    assert not abandoned.exists()
    assert live.exists()
    assert store.path(digest).read_bytes() == b"sealed"  # stored objects are never swept


def test_a_kept_object_is_durable_its_folder_synced_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[tuple[Path, bool]] = []  # each fsync'd path, and whether the object was there
    store = ObjectStore(tmp_path)
    target = store.path(hashlib.sha256(b"sealed").hexdigest())
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append((Path(os.readlink(f"/proc/self/fd/{fd}")), target.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    store.put_chunks([b"sealed"])
    assert (target.parent, True) in synced  # the rename into ab/, after it happened
    assert (tmp_path, False) in synced  # the new subfolder ab/ itself, in the root
    synced.clear()
    store.put_chunks([b"sealed"])
    assert (target.parent, True) in synced


def test_a_created_store_keeps_an_object_with_two_syncs_never_its_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ObjectStore(tmp_path / "objects")
    store.create()
    assert sorted(p.name for p in store.root.iterdir()) == [f"{b:02x}" for b in range(256)]
    synced: list[Path] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    digest, _ = store.put_chunks([b"sealed"])
    assert len(synced) == 2  # the staged file, then the folder it was renamed into
    assert synced[1] == store.path(digest).parent
    store.create()  # again: changes nothing
    assert store.path(digest).read_bytes() == b"sealed"
