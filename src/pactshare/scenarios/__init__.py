"""Agreement and party files (TOML): the reference scenario and a strict loader."""

from pactshare.scenarios.loader import (
    REFERENCE_DIR,
    Source,
    load_registry,
    read_sources,
    registry_from_sources,
)

__all__ = ["REFERENCE_DIR", "Source", "load_registry", "read_sources", "registry_from_sources"]
