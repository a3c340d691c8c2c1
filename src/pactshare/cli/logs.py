"""The served node's log: one line per record on stderr, as JSON or as text.

The library only emits (each module has its logger, ``logging.getLogger(__name__)``, and
passes what it did as ``extra`` fields: the item, the party, the message, the outcome); this
entry point decides where the records go and how they look. ``pactshare serve --log-format
json`` writes one JSON object a line — ``time`` (UTC, ISO 8601), ``level``, ``logger``,
``message`` and the record's fields — for a log collector; ``text`` (the default) writes the
same, readable. pactshare's own records from INFO up are written; other libraries' from
WARNING up (httpx would otherwise log every request the delivery worker sends).

Nothing logged carries a token, a key or an item's content: records name items by id and
people by name, and the server logs no request lines.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TextIO

__all__ = ["JsonFormatter", "LogFormat", "TextFormatter", "configure_logging"]

# The attributes every LogRecord has; any other attribute was passed in ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


class LogFormat(StrEnum):
    """How ``serve`` writes its log."""

    TEXT = "text"
    JSON = "json"


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """What the emitting module passed in ``extra``."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _json(line)


# Line breaks that JSON leaves unescaped in a string but a line reader may split on.
_SEPARATORS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json(value: object) -> str:
    """``value`` as JSON on one line, whatever line breaks its strings hold."""
    return json.dumps(value, ensure_ascii=False, default=str).translate(_SEPARATORS)


def _plain(value: object) -> str:
    """``value`` as one token of a text line: as it is if it has no space, quote, ``=`` or
    line break; otherwise as a JSON string, so that text from a peer cannot end the line or
    forge a field."""
    text = str(value)
    if text and not any(c.isspace() or c in '"=' or not c.isprintable() for c in text):
        return text
    return _json(text)


class TextFormatter(logging.Formatter):
    """``time level logger: message key=value …``, one record a line (tracebacks follow);
    a value with spaces, quotes or line breaks is quoted (:func:`_plain`)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={_plain(v)}" for k, v in _fields(record).items())
        message = record.getMessage()
        if not message.isprintable():  # a line break in a message would forge a record
            message = _plain(message)
        line = f"{_time(record)} {record.levelname} {record.name}: {message}"
        line = f"{line} {fields}" if fields else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


def configure_logging(log_format: LogFormat, stream: TextIO = sys.stderr) -> None:
    """Send every record to ``stream`` in ``log_format``: pactshare's from INFO up, other
    libraries' from WARNING up."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format is LogFormat.JSON else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("pactshare").setLevel(logging.INFO)
