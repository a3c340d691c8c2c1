"""The served node's log formats (:mod:`pactshare.cli.logs`): a record's ``extra`` fields
become JSON members, or ``key=value`` pairs in text; text is ``serve``'s default."""

from __future__ import annotations

import inspect
import io
import json
import logging
from collections.abc import Iterator

import pytest

from pactshare.cli.logs import LogFormat, configure_logging


@pytest.fixture
def restored() -> Iterator[None]:
    root, ours = logging.getLogger(), logging.getLogger("pactshare")
    handlers, levels = root.handlers[:], (root.level, ours.level)
    yield
    root.handlers[:] = handlers
    root.setLevel(levels[0])
    ours.setLevel(levels[1])


def _emit(log_format: LogFormat) -> str:
    stream = io.StringIO()
    configure_logging(log_format, stream)
    logging.getLogger("pactshare.node.provision").info(
        "provision decided", extra={"item_id": "i1", "to": "JPN"}
    )
    logging.getLogger("pactshare.node.provision").debug("not written")
    logging.getLogger("httpx").info("HTTP Request: not written")
    return stream.getvalue()


@pytest.mark.usefixtures("restored")
def test_a_json_line_carries_the_records_fields() -> None:
    [line] = _emit(LogFormat.JSON).splitlines()
    record = json.loads(line)
    assert record.pop("time").endswith("+00:00")
    assert record == {
        "level": "info",
        "logger": "pactshare.node.provision",
        "message": "provision decided",
        "item_id": "i1",
        "to": "JPN",
    }


@pytest.mark.usefixtures("restored")
def test_a_text_line_carries_the_records_fields() -> None:
    [line] = _emit(LogFormat.TEXT).splitlines()
    assert line.endswith(" INFO pactshare.node.provision: provision decided item_id=i1 to=JPN")


@pytest.mark.parametrize("log_format", list(LogFormat))
@pytest.mark.usefixtures("restored")
def test_text_from_a_peer_cannot_forge_a_line_or_a_field(log_format: LogFormat) -> None:
    stream = io.StringIO()
    configure_logging(log_format, stream)
    hostile = "bad key\n2026-12-02T00:00:00.000+00:00 INFO pactshare: forged x=1\u2028y=2"
    logging.getLogger("pactshare.api.federation").warning(
        "federation request refused", extra={"status": 401, "reason": hostile}
    )
    logging.getLogger("pactshare.api.federation").warning("refused\r\nforged line")
    first, second = stream.getvalue().splitlines()
    if log_format is LogFormat.JSON:
        assert json.loads(first)["reason"] == hostile
        assert json.loads(second)["message"] == "refused\r\nforged line"
    else:
        assert first.endswith(
            ' status=401 reason="bad key\\n2026-12-02T00:00:00.000+00:00 INFO pactshare:'
            ' forged x=1\\u2028y=2"'
        )
        assert second.endswith(' WARNING pactshare.api.federation: "refused\\r\\nforged line"')


def test_serve_logs_text_by_default() -> None:
    from pactshare.cli.federation import serve  # noqa: PLC0415 - the command's signature

    assert inspect.signature(serve).parameters["log_format"].default is LogFormat.TEXT
