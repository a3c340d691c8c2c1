"""A node's home directory: its configuration, keys, pinned directory, objects and database.

::

    D/node.toml      party and database URL
    D/keys/          the party's private keys (0600)
    D/public.key     the node's signed public key record, to hand to peers
    D/directory/     pinned public key records of the parties it trusts (its own included)
    D/objects/       sealed envelopes, by digest
    D/node.db        the SQLite database, unless node.toml names another

A home is self-contained: the ``database`` of ``node.toml`` is a path relative to the home
(``"node.db"``), so the home works from any working directory, and a copy of it uses its own
database. A node that keeps its database outside its home says so explicitly: an absolute
path (``"/var/lib/pactshare/kor.db"``) or a server URL (``"postgresql+psycopg://…"``).

Homes written before this rule hold an ``sqlite:///…`` URL, relative to the directory
``node init`` ran in or absolute. Such a URL is still read where it names this home's own
``node.db``; anywhere else (a home moved or copied from another) it is refused with the line
to write instead, never followed to another home's database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pactshare.errors import InputError, NodeError
from pactshare.files import atomic_output
from pactshare.limits import parse_toml

__all__ = ["NodeConfig", "NodeHome"]


_HOME_DATABASE = "node.db"
_SQLITE = "sqlite:///"


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """A node's party and its database URL (an SQLite path always absolute once read)."""

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
            raw = parse_toml(self.config_file.read_text(encoding="utf-8"), what="node.toml")
        except FileNotFoundError as exc:
            raise NodeError(
                f"{self.root} is not a pactshare node (no node.toml); "
                "create one with: pactshare node init --party KOR --home DIR"
            ) from exc
        except (OSError, UnicodeDecodeError, InputError) as exc:
            raise NodeError(f"{self.config_file}: cannot be read: {exc}") from exc
        party, database = raw.get("party"), raw.get("database")
        if not isinstance(party, str) or not isinstance(database, str):
            raise NodeError(f"{self.config_file}: needs text keys 'party' and 'database'")
        return NodeConfig(party=party, database=self.database_url(database))

    def database_url(self, setting: str) -> str:
        """The URL of the database that ``node.toml``'s ``database`` names (see the module)."""
        if setting.startswith(_SQLITE):
            return self._legacy_sqlite(setting)
        if "://" in setting:
            return setting
        if not setting.strip():
            raise NodeError(f'{self.config_file}: database is empty; write database = "node.db"')
        return _SQLITE + str(self.root.absolute() / setting)

    def _legacy_sqlite(self, url: str) -> str:
        """An ``sqlite:///`` URL of an earlier release: followed only to this home's node.db."""
        own = (self.root / _HOME_DATABASE).resolve()
        named = Path(url.removeprefix(_SQLITE).partition("?")[0])
        written_for_us = (  # `node init --home DIR` wrote "DIR/node.db", DIR as typed then
            not named.is_absolute()
            and named.name == _HOME_DATABASE
            and ".." not in named.parts
            and _ends_with(self.root.resolve().parts, named.parent.parts)
        )
        if written_for_us or named.resolve() == own:
            return _SQLITE + str(self.root.absolute() / _HOME_DATABASE)
        raise NodeError(
            f"{self.config_file}: database {url!r} is not this home's {_HOME_DATABASE} "
            "(a home moved or copied from another, or written by an earlier pactshare); "
            f"for this home's own database write database = {_toml(_HOME_DATABASE)}; to use "
            f"that file on purpose, its absolute path: database = {_toml(str(named.absolute()))}"
        )

    def database_setting(self, url: str) -> str:
        """What ``node.toml`` says for ``url``: a path relative to the home for a database
        inside it, an absolute path for an SQLite file outside it, any other URL as given."""
        if "://" not in url:
            raise InputError(
                f"--db {url!r}: give a URL, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
            )
        if not url.startswith(_SQLITE):
            return url
        path, _, options = url.removeprefix(_SQLITE).partition("?")
        if options or not path or path == ":memory:":
            raise InputError(f"--db {url!r}: a node's SQLite database is a file, without options")
        absolute, root = Path(path).absolute(), self.root.absolute()
        return str(absolute.relative_to(root) if absolute.is_relative_to(root) else absolute)

    def write_config(self, config: NodeConfig) -> None:
        database = self.database_setting(config.database)
        text = f"# pactshare node\nparty = {_toml(config.party)}\ndatabase = {_toml(database)}\n"
        with atomic_output(self.config_file) as out:
            out.write(text.encode("utf-8"))


def _toml(text: str) -> str:
    """``text`` as a TOML basic string (JSON's escapes are TOML's, for these characters)."""
    return json.dumps(text, ensure_ascii=False)


def _ends_with(parts: tuple[str, ...], tail: tuple[str, ...]) -> bool:
    tail = tuple(p for p in tail if p != ".")
    return not tail or parts[-len(tail) :] == tail
