"""A node's home directory: its configuration, keys, pinned directory, objects and database.

::

    D/node.toml      party and database URL
    D/keys/          the party's private keys (0600)
    D/public.key     the node's signed public key record, to hand to peers
    D/directory/     pinned public key records of the parties it trusts (its own included)
    D/objects/       sealed envelopes, by digest
    D/node.db        the SQLite database, unless node.toml names another
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pactshare.errors import NodeError
from pactshare.store.files import atomic_output

__all__ = ["NodeConfig", "NodeHome"]


@dataclass(frozen=True, slots=True)
class NodeConfig:
    party: str
    database: str


@dataclass(frozen=True, slots=True)
class NodeHome:
    """The paths of one node's home directory."""

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "node.toml"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def public_key(self) -> Path:
        return self.root / "public.key"

    @property
    def directory(self) -> Path:
        return self.root / "directory"

    @property
    def objects(self) -> Path:
        return self.root / "objects"

    @property
    def database_file(self) -> Path:
        return self.root / "node.db"

    def exists(self) -> bool:
        return self.config_file.is_file()

    def read_config(self) -> NodeConfig:
        """The node's configuration; a clear error if ``root`` is not a node's home."""
        try:
            raw = tomllib.loads(self.config_file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise NodeError(
                f"{self.root} is not a pactshare node (no node.toml); "
                "create one with: pactshare node init --party KOR --home DIR"
            ) from exc
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise NodeError(f"{self.config_file}: cannot be read: {exc}") from exc
        party, database = raw.get("party"), raw.get("database")
        if not isinstance(party, str) or not isinstance(database, str):
            raise NodeError(f"{self.config_file}: needs text keys 'party' and 'database'")
        return NodeConfig(party=party, database=database)

    def write_config(self, config: NodeConfig) -> None:
        text = f'# pactshare node\nparty = "{config.party}"\ndatabase = "{config.database}"\n'
        with atomic_output(self.config_file) as out:
            out.write(text.encode("utf-8"))
