"""``pactshare user add`` (another name for ``person add``): the token it prints once
signs the person in to the node's HTTP API, with the clearance, need-to-know and roles given."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from pactshare.node import NodeHome
from pactshare.node.service import Node
from tests.http_support import serving
from tests.support import cli_json, run_cli


@pytest.mark.slow
def test_user_add_gives_a_token_that_signs_in_to_the_api(tmp_path: Path) -> None:
    home = str(tmp_path / "kor")
    assert run_cli("node", "init", "--party", "KOR", "--home", home).returncode == 0
    code, added = cli_json(
        "user", "add", "Kim", "--clearance", "군사 II급 비밀", "--need-to-know", "dprk-missile",
        "--role", "security-officer", "--role", "reader", "--home", home,
    )  # fmt: skip
    assert code == 0
    assert added["token"].startswith("pst_")
    code, again = cli_json("person", "add", "Lee", "--home", home)
    assert code == 0
    duplicate = run_cli("user", "add", "Kim", "--home", home)
    assert duplicate.returncode == 2
    assert "already exists" in duplicate.stderr
    node = Node(NodeHome(Path(home)), clock=lambda: datetime.now(UTC))
    try:
        with serving(node) as url:
            me = httpx.get(
                f"{url}/api/v1/me", headers={"Authorization": f"Bearer {added['token']}"}
            )
            lee = httpx.get(
                f"{url}/api/v1/me", headers={"Authorization": f"Bearer {again['token']}"}
            )
    finally:
        node.close()
    assert me.json()["roles"] == ["security-officer", "reader"]
    assert me.json()["clearance"] == "kor-mil-2"
    assert me.json()["need_to_know"] == ["dprk-missile"]
    assert lee.json()["roles"] == ["reader"]
