"""Settings for the property tests.

``PACTSHARE_EXAMPLES`` scales how many examples each heavy property runs (default: a few
thousand comparisons in CI, fewer locally); e.g. ``PACTSHARE_EXAMPLES=20000 pytest
tests/properties`` for a long hunt.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "pactshare",
    deadline=None,  # the first Cedar call of a process parses the policy engine; not a bug
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("pactshare")


def examples(default_ci: int, default_local: int) -> int:
    """How many examples a heavy property runs here."""
    override = os.environ.get("PACTSHARE_EXAMPLES")
    if override:
        return int(override)
    return default_ci if os.environ.get("CI") else default_local
