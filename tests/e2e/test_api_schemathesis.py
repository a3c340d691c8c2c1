"""schemathesis against the OpenAPI schema of a live node (a real socket), as an admin: no 5xx,
every status documented, every response body as the schema says. Bounded and derandomized."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from pactshare.store import sqlite_url
from tests.http_support import LABEL_TOML, LiveNode, live_kor

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    """A KOR node (SQLite) holding one item and a signed audit head, served over HTTP."""
    root: Path = tmp_path_factory.mktemp("schemathesis")
    with live_kor(root, sqlite_url(root / "kor.db")) as served:
        with served.client("originator") as http:
            registered = http.post(
                "/api/v1/items", files={"file": ("i", b"telemetry")}, data={"label": LABEL_TOML}
            )
            assert registered.status_code == 201, registered.text
        with served.client("admin") as http:
            assert http.post("/api/v1/audit/heads").status_code == 201
        yield served


def _exercise(operation: APIOperation[Any, Any, Any, Any], node: LiveNode) -> None:
    """Up to 15 generated requests against one operation; raises on the first failed check."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=15,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            base_url=node.url,
            headers={"Authorization": f"Bearer {node.tokens['admin']}"},
            checks=CHECKS,
        )

    run()


@pytest.mark.slow
def test_the_api_keeps_to_its_schema(node: LiveNode) -> None:
    loaded = schemathesis.openapi.from_url(f"{node.url}/openapi.json")
    failures: dict[str, str] = {}
    exercised = 0
    for result in loaded.include(path_regex="^/api/v1/").get_all_operations():
        if isinstance(result, Err):
            failures[f"schema {exercised}"] = str(result.err())
            continue
        operation = result.ok()
        exercised += 1
        try:
            _exercise(operation, node)
        except Exception as exc:
            failures[operation.label] = str(exc)[:2000]
    assert exercised >= 20
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
