"""Opening and creating a node: its home, database, keys, pinned directory and clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import Connection

from pactshare import seal
from pactshare.audit import EntryKind
from pactshare.domain import Party, Prepared, Registry, normalise_party_code
from pactshare.domain.authority import Settled
from pactshare.errors import InputError, NodeError, StorageError
from pactshare.node import agreements, journal
from pactshare.node.clock import Clock, real_time
from pactshare.node.envelopes import kept_bytes
from pactshare.node.home import NodeConfig, NodeHome
from pactshare.scenarios import load_registry, read_sources
from pactshare.store import Database, sqlite_url
from pactshare.store.objects import ObjectStore

__all__ = ["Migration", "Node", "init_node", "migrate_node"]


def _require_current(db: Database, home: NodeHome) -> None:
    """Refuse a database this build was not written for: behind (migrate it first) or ahead
    (made by a newer pactshare). Never migrates by itself: an upgrade is the operator's act."""
    state = db.revision()
    where = f"database of node {home.root} is at revision {state.current or 'none'}"
    if state.ahead:
        raise StorageError(
            f"{where}, newer than this pactshare knows (its latest is {state.needed}): "
            "run the newer pactshare that migrated it"
        )
    if not state.up_to_date:
        raise StorageError(
            f"{where}, this pactshare needs {state.needed}: "
            f"run `pactshare node migrate --home {home.root}`"
        )


class Node:
    """One party's node, opened from its home directory (its database must be up to date)."""

    def __init__(self, home: NodeHome, *, clock: Clock, passphrase: bytes | None = None) -> None:
        config = home.read_config()
        self.home = home
        self.party_code = config.party
        self.db = Database(config.database)
        try:
            _require_current(self.db, home)
        except StorageError:
            self.db.dispose()
            raise
        self.objects = ObjectStore(home.objects, kept=self._kept_bytes)
        self.objects.sweep(now=real_time())  # what a killed reception staged (real time)
        self._clock = clock
        self._passphrase = passphrase
        self._registry: tuple[int, Prepared, dict[str, tuple[Settled, ...]]] | None = None

    def now(self) -> datetime:
        return self._clock()

    def _kept_bytes(self, digest: str) -> bytes | None:
        """An envelope's bytes kept in the database (a small one received), or None."""
        with self.db.atomic() as tx:
            return kept_bytes(tx, digest)

    @cached_property
    def keys(self) -> seal.PartyKeys:
        return seal.load_keys(self.home.keys, passphrase=self._passphrase)

    @cached_property
    def directory(self) -> seal.Directory:
        """The pinned public keys of the parties this node trusts (no trust on first use)."""
        return seal.Directory.from_folder(self.home.directory)

    def registry(self, tx: Connection) -> Registry:
        """The node's registry, rebuilt only when its version changed (a file, note or answer)."""
        return self._load(tx)[1].registry

    def prepared(self, tx: Connection) -> Prepared:
        """The node's registry prepared for decisions: what is derived from it is kept as long
        as the registry's version stands, and replaced with it."""
        return self._load(tx)[1]

    def prepared_now(self) -> Prepared:
        """The node's registry as it stands, prepared for decisions (its own transaction)."""
        with self.db.atomic() as tx:
            return self.prepared(tx)

    def settled(self, tx: Connection) -> dict[str, tuple[Settled, ...]]:
        """Every note's state on this node's copy, by agreement (cached as the registry is)."""
        return self._load(tx)[2]

    def _load(self, tx: Connection) -> tuple[int, Prepared, dict[str, tuple[Settled, ...]]]:
        version = agreements.version(tx)
        if self._registry is None or self._registry[0] != version:
            registry, settled = agreements.load_settled(tx)
            self._registry = (version, Prepared(registry), settled)
        return self._registry

    def party(self, tx: Connection) -> Party:
        return self.registry(tx).party(self.party_code)

    def close(self) -> None:
        self.db.dispose()


@dataclass(frozen=True, slots=True)
class Migration:
    """What ``node migrate`` did: the revision before and after (equal: nothing to do)."""

    home: Path
    before: str | None
    after: str | None

    @property
    def migrated(self) -> bool:
        return self.before != self.after


def migrate_node(home: NodeHome) -> Migration:
    """Upgrade the node's database to this build's revision (a database ahead is refused)."""
    db = Database(home.read_config().database)
    try:
        before = db.migrate()
        after = db.revision()
    finally:
        db.dispose()
    return Migration(home.root, before.current, after.current)


def init_node(
    root: Path,
    *,
    party: str,
    at: datetime,
    database: str | None = None,
    agreement_dirs: tuple[Path, ...] = (),
    passphrase: bytes | None = None,
) -> NodeHome:
    """Create a node: keys, database, the reference agreements (plus ``agreement_dirs``)."""
    home = NodeHome(root)
    if home.exists():
        raise NodeError(f"{root} already holds a node; choose another --home")
    code = normalise_party_code(party)
    sources = read_sources(list(agreement_dirs))
    registry = load_registry(list(agreement_dirs))
    if code not in registry.parties:
        known = ", ".join(sorted(registry.parties))
        raise InputError(f"--party: {party!r} is not a party of the agreements ({known})")
    url = home.database_url(home.database_setting(database or sqlite_url(home.database_file)))
    root.mkdir(parents=True, exist_ok=True)
    home.directory.mkdir(exist_ok=True)
    ObjectStore(home.objects).create()
    keys = seal.init_keys(home.keys, code, at=at, passphrase=passphrase)
    record = seal.PublicKeyRecord.export(keys)
    home.public_key.write_bytes(record)
    (home.directory / f"{code}.json").write_bytes(record)
    db = Database(url)
    try:
        db.migrate()
        with db.atomic() as tx:
            count = agreements.install_sources(tx, sources, at=at)
            journal.record(
                tx,
                kind=EntryKind.EVENT,
                at=at,
                actor=code,
                subject="node",
                details={
                    "event": "node-initialised",
                    "scenario_files": count,
                    "signing_key": keys.signing_key_id,
                },
            )
    finally:
        db.dispose()
    home.write_config(NodeConfig(party=code, database=url))
    return home
