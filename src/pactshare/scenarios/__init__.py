"""Agreement and party files (TOML): the reference scenario and a strict loader."""

from pactshare.scenarios.loader import (
    REFERENCE_DIR,
    Source,
    amendment_from_data,
    load_registry,
    read_amendment,
    read_sources,
    registry_from_sources,
)

__all__ = [
    "REFERENCE_DIR",
    "Source",
    "amendment_from_data",
    "load_registry",
    "read_amendment",
    "read_sources",
    "registry_from_sources",
]
