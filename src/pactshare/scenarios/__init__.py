"""Agreement and party files (TOML): the reference scenario and a strict loader."""

from pactshare.scenarios.loader import REFERENCE_DIR, load_registry

__all__ = ["REFERENCE_DIR", "load_registry"]
