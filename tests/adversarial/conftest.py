"""The adversarial suite: every attack tried against pactshare, kept so that none comes back.

Each module is named after what it attacks; attacks run against real processes and sockets on
loopback where the attack needs them, on SQLite and (with CI=true) on PostgreSQL.
"""

from __future__ import annotations

from tests.e2e.conftest import make_node  # noqa: F401 - the fixture, for this tier
from tests.integration.conftest import database, database_url, live, served  # noqa: F401
