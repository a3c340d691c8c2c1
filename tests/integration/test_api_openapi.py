"""The API's description: the token is declared for generated clients, and ``/docs`` needs
nothing from outside the node (served in process: these test the app's answers, not a socket)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pactshare.node.service import Node, init_node
from pactshare.server.app import create_app
from tests.support import Clock, at


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    clock = Clock(at("2019-11-22T23:00:00+09:00"))
    home = init_node(tmp_path_factory.mktemp("openapi") / "kor", party="KOR", at=clock.now)
    with TestClient(create_app(Node(home, clock=clock))) as http:
        yield http


def test_openapi_declares_the_bearer_token_on_every_person_operation(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["personToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A person's API token (pst_…), from `pactshare user add`.",
    }
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    people = [(p, m, o) for p, m, o in operations if p.startswith("/api/v1/")]
    assert people, "the API has operations"
    for path, method, operation in people:
        assert operation.get("security") == [{"personToken": []}], f"{method} {path}"
    for path, method, operation in operations:
        if not path.startswith("/api/v1/"):
            assert "security" not in operation, f"{method} {path} needs no person's token"


def test_docs_load_their_assets_from_the_node_only(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert not re.search(r"""(?:src|href)=['"]?https?://""", page.text)
    assets = re.findall(r"""(?:src|href)=['"](/docs-assets/[^'"]+)['"]""", page.text)
    assert len(assets) >= 2, page.text
    for asset in assets:
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert len(answer.content) > 1000 or asset.endswith(".png"), asset


def test_openapi_describes_the_federation_request_its_headers_body_and_fork(
    client: TestClient,
) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/federation/v1/messages"]["post"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {
        "signature-input",
        "signature",
        "content-digest",
        "pactshare-message-id",
        "pactshare-recipient",
    }
    assert set(operation["requestBody"]["content"]) == {
        "application/zip",
        "application/json",
        "application/vnd.pactshare.batch+json",
    }
    assert {"401", "409", "413", "415", "422"} <= set(operation["responses"])
    assert "security" not in operation  # peers sign their requests; they hold no token
