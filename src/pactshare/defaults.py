"""The defaults of what an operator may configure, each defined once.

They live apart from the modules that apply them (the server, the federation endpoint, the
people's tokens, the envelope writer) so that the command line can show them in its help
without loading those modules: a command loads only what it uses.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_OPENS_PER_MINUTE",
    "DEFAULT_TOKEN_DAYS",
]

DEFAULT_MAX_CONNECTIONS = 512  # half the usual 1024 descriptors: the rest for files and DB
DEFAULT_HEADER_TIMEOUT = 10.0  # seconds for a request's head to arrive whole
DEFAULT_BODY_TIMEOUT = 30.0  # seconds of silence allowed between a request body's bytes
DEFAULT_MAX_BODY = 1 << 30  # 1 GiB: the largest federation message a node reads
DEFAULT_OPENS_PER_MINUTE = 60  # items' contents one person may open a minute
DEFAULT_TOKEN_DAYS = 90  # a person's API token lives this long (real time)
DEFAULT_CHUNK_SIZE = 1024 * 1024  # bytes of payload per encrypted chunk of an envelope
