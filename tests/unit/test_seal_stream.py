"""The payload digest is the same whether it is computed inline or on a helper thread."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from blake3 import blake3

from pactshare.seal import stream
from pactshare.seal.stream import CHUNK_SIZE, PayloadDigest, _Workers, spare_core


@pytest.mark.parametrize("parallel", [True, False, None])
def test_digest_of_records_is_blake3_of_their_concatenation(parallel: bool | None) -> None:
    records = [(bytes([i]) * 5, os.urandom(CHUNK_SIZE // 2 + i)) for i in range(9)]
    digest = PayloadDigest(parallel=parallel)
    for head, body in records:
        digest.update(head, body)
    assert digest.digest() == blake3(b"".join(h + b for h, b in records)).digest()


def test_closing_an_unfinished_parallel_digest_stops_its_helper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = _Workers.get()
    helpers: list[Future[None]] = []

    def submit(work: Callable[..., None], *args: object) -> Future[None]:
        helpers.append(ThreadPoolExecutor.submit(pool, work, *args))
        return helpers[-1]

    monkeypatch.setattr(pool, "submit", submit)
    digest = PayloadDigest(parallel=True)
    for _ in range(4):
        digest.update(b"h", bytes(CHUNK_SIZE))
    assert len(helpers) == 1
    assert not helpers[0].done()  # hashing beside the producer, waiting for more records
    digest.close()
    assert helpers[0].done()
    assert helpers[0].exception() is None
    digest.close()  # idempotent
    assert len(helpers) == 1


def test_a_core_is_spare_only_when_fewer_tasks_are_ready_than_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1})
    monkeypatch.setattr(stream, "runnable", lambda: 2)  # this task and one other
    assert not spare_core()
    monkeypatch.setattr(stream, "runnable", lambda: 1)  # this task alone
    assert spare_core()


def test_a_single_core_is_never_spare(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0})
    monkeypatch.setattr(stream, "runnable", lambda: 1)
    assert not spare_core()


def test_ready_tasks_count_this_one_or_fall_back_to_the_load_average(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if os.path.exists("/proc/loadavg"):
        assert stream.runnable() >= 1  # at least the task asking
    real_open = open

    def no_proc(path: object, *args: object, **kwargs: object) -> object:
        if path == "/proc/loadavg":
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", no_proc)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert stream.runnable() == 1.5
