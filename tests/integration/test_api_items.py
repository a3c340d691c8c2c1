"""/api/v1 items (the app called in process): register (streamed), provide to the outbox,
refusals and malformed input as problem details naming what and where."""

from __future__ import annotations

import json
import os
import tomllib
import tracemalloc
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from pactshare.store.schema import outbox
from tests.http_support import LABEL_TOML, LiveNode
from tests.support import footprint

MIB = 1 << 20


def _post_item(live: LiveNode, content: bytes, label: str) -> httpx.Response:
    with live.client("originator") as http:
        return http.post(
            "/api/v1/items", files={"file": ("item.bin", content)}, data={"label": label}
        )


def test_register_then_provide_queues_the_item_in_the_outbox(live: LiveNode) -> None:
    label = json.dumps(tomllib.loads(LABEL_TOML))  # JSON labels are accepted too
    with live.client("originator") as http:
        registered = http.post(
            "/api/v1/items", files={"file": ("i", b"telemetry")}, data={"label": label}
        )
        assert registered.status_code == 201, registered.text
        item = registered.json()["item_id"]
        assert registered.json()["marking"] == "KOR / 군사 II급 비밀"
        provided = http.post(f"/api/v1/items/{item}/provisions", json={"to": "jpn"})
        assert provided.status_code == 201, provided.text
        detail = http.get(f"/api/v1/items/{item}").json()
    body = provided.json()
    assert body["to"] == "JPN"
    assert body["delivery"] == "outbox"
    assert body["decision"]["outcome"] == "allowed"
    assert body["decision"]["route"][0]["from"] == "KOR"
    assert body["decision"]["route"][0]["agreement"] == "gsomia-kor-jpn-2016"
    with live.node.db.atomic() as tx:
        queued = tx.execute(select(outbox.c.id, outbox.c.recipient, outbox.c.kind)).all()
    assert [tuple(r) for r in queued] == [(body["provision_id"], "JPN", "item")]
    assert [(p["provision_id"], p["to"], p["state"]) for p in detail["provisions"]] == [
        (body["provision_id"], "JPN", "queued")
    ]


def test_a_refused_provision_is_422_with_its_reasons_and_queues_nothing(live: LiveNode) -> None:
    with live.client("originator") as http:
        item = http.post(
            "/api/v1/items", files={"file": ("i", b"x")}, data={"label": LABEL_TOML}
        ).json()["item_id"]
        refused = http.post(f"/api/v1/items/{item}/provisions", json={"to": "USA"})
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["title"] == "Refused"
    assert problem["reasons"]
    assert all(":" in reason for reason in problem["reasons"])
    with live.node.db.atomic() as tx:
        assert tx.execute(select(outbox)).first() is None


MALFORMED_LABELS: list[tuple[str, int, str]] = [
    (LABEL_TOML.replace('topics = ["dprk-missile/slbm"]\n', ""), 400, "topics"),
    ("{not json", 400, "label"),
    (LABEL_TOML.replace('"KOR"', '"JPN"'), 400, "originator"),
    (LABEL_TOML.replace("군사 II급 비밀", "no such level"), 400, "label"),
    (LABEL_TOML.replace("dprk-missile/slbm", "dprk-missle/slbm"), 400, "label: topics"),
    (LABEL_TOML.replace("gsomia-kor-jpn-2016", "my-policy"), 400, "label: policy"),
]


def _a_problem_naming_the_field(live: LiveNode, case: tuple[str, int, str]) -> None:
    label, status, named = case  # shown in a failure's traceback
    before = footprint(live.node)
    answer = _post_item(live, b"x", label)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert named in answer.json()["detail"]
    assert footprint(live.node) == before


def test_a_malformed_label_is_a_problem_naming_the_field(live: LiveNode) -> None:
    """Each malformed label in turn, to one node: a problem naming the field, nothing kept."""
    for case in MALFORMED_LABELS:
        _a_problem_naming_the_field(live, case)


def test_malformed_requests_are_4xx_naming_where(live: LiveNode) -> None:
    item = _post_item(live, b"x", LABEL_TOML).json()["item_id"]
    with live.client("originator") as http:
        no_file = http.post("/api/v1/items", data={"label": LABEL_TOML})
        bad_body = http.post(f"/api/v1/items/{item}/provisions", json={"to": 42})
        not_json = http.post(
            f"/api/v1/items/{item}/provisions",
            content=b"{",
            headers={"content-type": "application/json"},
        )
        bad_at = http.get("/api/v1/agreements", params={"at": "yesterday"})
    assert no_file.status_code == 422
    assert no_file.json()["errors"][0]["where"] == "body.file"
    assert bad_body.status_code == 422
    assert bad_body.json()["errors"][0]["where"] == "body.to"
    assert not_json.status_code == 422
    assert bad_at.status_code == 400
    assert bad_at.json()["detail"].startswith("at: 'yesterday'")


@pytest.mark.slow
def test_a_20_mib_item_uploads_and_downloads_as_streams(live: LiveNode) -> None:
    content = os.urandom(20 * MIB)
    with live.client("originator") as http:
        registered = http.post(
            "/api/v1/items", files={"file": ("big.bin", content)}, data={"label": LABEL_TOML}
        )
        assert registered.status_code == 201, registered.text
        item = registered.json()["item_id"]
    with live.client("reader") as http, http.stream("GET", f"/api/v1/items/{item}/content") as got:
        assert got.status_code == 200
        received = b"".join(got.iter_bytes())
        envelope = http.get(f"/api/v1/items/{item}/envelope")
    assert received == content
    assert envelope.status_code == 200
    assert len(envelope.content) > len(content)


@pytest.mark.slow
def test_a_20_mib_upload_is_never_held_in_memory(live: LiveNode, tmp_path: Path) -> None:
    """Client and server share this process: peak traced memory stays far below the item."""
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        for _ in range(20):
            out.write(os.urandom(MIB))
    tracemalloc.start()
    try:
        with live.client("originator") as http, big.open("rb") as source:
            answer = http.post(
                "/api/v1/items", files={"file": ("big.bin", source)}, data={"label": LABEL_TOML}
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 201, answer.text
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB for a 20 MiB upload"
