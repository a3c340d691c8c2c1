"""The node's audit journal: an append-only Merkle log (RFC 9162) in the node's database.

Every decision, refusal, access, consent, event, receipt and incident becomes one entry, in
the same transaction as the change it records, together with the perfect-subtree hashes the
append completes. Signed tree heads commit the node to the log so far; verification recomputes
everything from the stored entries and reports tampering by position. Entries hold canonical
bytes (:class:`pactshare.audit.Entry`), never payloads or keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Dialect, Table, func, insert, or_, select, text

from pactshare import audit, seal
from pactshare.errors import (
    AuditIntegrityError,
    EnvelopeKeyError,
    InputError,
    InvalidTreeHeadError,
    NodeError,
    StorageError,
)
from pactshare.node import faults
from pactshare.store.database import driver_error
from pactshare.store.schema import audit_entries, audit_heads, audit_nodes, cosignatures

__all__ = [
    "ConsistencyProof",
    "Proof",
    "consistency",
    "cosigned_by",
    "latest_head",
    "prove",
    "prove_consistency",
    "record",
    "sign_head",
    "size",
    "verify",
]


# The advisory lock that serialises appends on PostgreSQL: this class id with the schema's hash,
# so that nodes in different schemas of one database do not wait for each other.
_APPEND_LOCK = text("SELECT pg_advisory_xact_lock(1885430631, hashtext(current_schema()))")
_SIZE = select(func.max(audit_entries.c.position))

# What an append runs on the driver's cursor (:func:`record`): SQLAlchemy's execution of a
# statement (its context, parameters and result) cost several times the statement itself.
# The size and the frontier are read in one query, after the lock (a later statement: its
# snapshot sees every append committed before the lock was granted). The frontier of a tree
# of ``size`` leaves holds, for each set bit ``level`` of ``size``, the node
# (level, (size >> level) - 1): ``bits`` walks the levels with ``rest`` = size >> level, and
# each wanted node is one lookup in the primary key's index (the size: the last position's,
# from its own). A wanted node missing from storage comes back with a NULL hash; the level-0
# row always comes, with the size.
_SIZE_AND_FRONTIER = """\
WITH RECURSIVE bits(level, rest) AS (
    SELECT 0, (SELECT COALESCE(MAX(position) + 1, 0) FROM audit_entries)
    UNION ALL
    SELECT level + 1, rest >> 1 FROM bits WHERE rest > 1
)
SELECT bits.level, bits.rest, audit_nodes.hash
FROM bits LEFT JOIN audit_nodes
    ON (bits.rest & 1) = 1 AND audit_nodes.level = bits.level AND audit_nodes.idx = bits.rest - 1
WHERE bits.level = 0 OR (bits.rest & 1) = 1"""


class _Insert:
    """A single-row INSERT of every column of ``table`` as ``dialect`` runs it: SQLAlchemy's
    own text (its paramstyle, and its casts on PostgreSQL) and bind processing, both built
    once; :meth:`row` makes a row's parameters, stored exactly as SQLAlchemy would store them
    (an instant on SQLite: its text in UTC)."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        keys = [column.key for column in table.columns]
        compiled = insert(table).compile(dialect=dialect, column_keys=keys)
        if compiled.positional and compiled.positiontup != keys:
            # SQLAlchemy's compiler binds an INSERT's columns in the table's order; a version
            # that did not would store values in the wrong columns: refuse to run at all.
            raise StorageError(f"{compiled.string} binds its columns out of order")
        self.sql = compiled.string
        self._names = None if compiled.positional else keys
        processors = [column.type.dialect_impl(dialect).bind_processor(dialect)
                      for column in table.columns]  # fmt: skip
        self._processors = [(i, p) for i, p in enumerate(processors) if p is not None]

    def row(self, *values: Any) -> list[Any] | dict[str, Any]:
        """The parameters of a row of ``values``, in the table's column order."""
        bound = list(values)
        for i, process in self._processors:
            bound[i] = process(bound[i])
        return bound if self._names is None else dict(zip(self._names, bound, strict=True))


@dataclass(frozen=True, slots=True)
class _Append:
    """What :func:`record` runs on one dialect, prepared once."""

    lock: str | None  # PostgreSQL's advisory lock (SQLite: the transaction's write lock)
    pipelined: bool  # the lock and the read sent together, without waiting (psycopg)
    entry: _Insert
    node: _Insert

    @classmethod
    def of(cls, dialect: Dialect) -> _Append:
        made = _PREPARED.get(dialect)
        if made is None:
            lock = _APPEND_LOCK.text if dialect.name == "postgresql" else None
            pipelined = lock is not None and dialect.driver == "psycopg" and _pipelines(dialect)
            made = _PREPARED[dialect] = cls(
                lock, pipelined, _Insert(audit_entries, dialect), _Insert(audit_nodes, dialect)
            )
        return made


_PREPARED: WeakKeyDictionary[Dialect, _Append] = WeakKeyDictionary()


def _pipelines(dialect: Dialect) -> bool:
    """Whether the driver (psycopg, with its libpq) sends statements in pipeline mode."""
    return bool(dialect.loaded_dbapi.Pipeline.is_supported())


def lock_for_append(tx: Connection) -> None:
    """Hold the log's append lock until the transaction ends (commit or rollback).

    Two writers that both read the next position before either commits would collide on it;
    so would two checks that must each see what the other recorded (a witness comparing a
    head with the heads it knows: :func:`pactshare.federation.witness.witness_head`).
    SQLite has one writer at a time already (the unit of work begins IMMEDIATE); PostgreSQL
    takes a transaction-scoped advisory lock, which every process on the database honours
    (CLI runs, API requests, the delivery worker, several ``serve`` processes). Re-taking it
    in the same transaction is free of waiting (advisory locks stack), and statements after it
    see every append committed before (READ COMMITTED takes a snapshot per statement).
    """
    if tx.dialect.name == "postgresql":
        tx.execute(_APPEND_LOCK)


def size(tx: Connection) -> int:
    """Entries in the log: the next position (an index lookup, not a count of rows)."""
    last = tx.execute(_SIZE).scalar_one_or_none()
    return 0 if last is None else int(last) + 1


def _reader(tx: Connection) -> audit.NodeReader:
    def read(level: int, index: int) -> bytes:
        found = tx.execute(
            select(audit_nodes.c.hash).where(
                audit_nodes.c.level == level, audit_nodes.c.idx == index
            )
        ).scalar_one_or_none()
        if found is None:
            raise AuditIntegrityError(f"audit node ({level}, {index}) is missing from storage")
        return bytes(found)

    return read


def record(
    tx: Connection,
    *,
    kind: audit.EntryKind,
    at: datetime,
    actor: str,
    subject: str,
    details: Mapping[str, Any],
) -> int:
    """Append one entry inside the caller's transaction; return its position.

    Its statements run on the driver's cursor of the transaction's connection, prepared once
    per dialect (:class:`_Append`): the lock (PostgreSQL), the size and frontier in one
    query, the entry, the nodes it completes (with psycopg: the lock and the read in one
    round trip, the entry and its nodes in another). A driver's error comes out as SQLAlchemy's
    :class:`~sqlalchemy.exc.DBAPIError`, as from any other statement (a lost connection is
    invalidated, as SQLAlchemy would)."""
    entry = audit.Entry(kind, at, actor, subject, dict(details))
    data = entry.to_bytes()
    prepared = _Append.of(tx.dialect)
    if not tx.in_transaction():
        tx.begin()  # as SQLAlchemy's first statement would (SQLite's BEGIN IMMEDIATE)
    driver: Any = tx.connection.dbapi_connection
    cursor = driver.cursor()
    statement: str = _SIZE_AND_FRONTIER
    parameters: Any = None
    try:
        if prepared.pipelined:
            # The lock and the read in one round trip, still two statements: PostgreSQL runs
            # them in order, the read only once the lock is granted, in a snapshot of its own
            # taken then (as if it waited for the lock's answer before sending the read).
            statement = f"{prepared.lock};\n{_SIZE_AND_FRONTIER}"
            with driver.pipeline():
                cursor.execute(prepared.lock)
                cursor.execute(_SIZE_AND_FRONTIER)
        else:
            if prepared.lock is not None:
                statement = prepared.lock
                cursor.execute(statement)
                statement = _SIZE_AND_FRONTIER
            cursor.execute(statement)
        frontier = _stored_frontier(cursor.fetchall())
        position = frontier.size
        _, completed = frontier.append(audit.leaf_hash(data))
        row = prepared.entry.row(position, kind.value, at, data)
        nodes = [prepared.node.row(n.level, n.index, n.hash) for n in completed]
        if prepared.pipelined:
            # The entry and its nodes in one round trip (neither answer is needed to send the
            # other); an error of either comes out when the pipeline ends, before we return.
            statement, parameters = f"{prepared.entry.sql};\n{prepared.node.sql}", None
            with driver.pipeline():
                _insert(cursor, prepared.entry.sql, [row])
                faults.checkpoint("journal:appended")
                _insert(cursor, prepared.node.sql, nodes)
        else:
            statement, parameters = prepared.entry.sql, row
            _insert(cursor, statement, [row])
            faults.checkpoint("journal:appended")
            statement, parameters = prepared.node.sql, nodes
            _insert(cursor, statement, nodes)
    except tx.dialect.loaded_dbapi.Error as exc:
        raise driver_error(
            tx, exc, driver, cursor, statement=statement, parameters=parameters
        ) from exc
    finally:
        cursor.close()
    return position


def _insert(cursor: Any, sql: str, rows: Sequence[Any]) -> None:
    """Insert ``rows`` (none, one or many) with the driver's ``cursor``."""
    if len(rows) == 1:
        cursor.execute(sql, rows[0])
    elif rows:
        cursor.executemany(sql, rows)


def _stored_frontier(rows: Sequence[Any]) -> audit.Frontier:
    """The frontier from the rows of ``_SIZE_AND_FRONTIER`` (level, size >> level, hash): the
    size, and each wanted node's hash; the first one missing is named."""
    size, hashes = 0, {}
    for level, rest, hashed in rows:
        if level == 0:
            size = int(rest)
        hashes[level] = hashed
    wanted = audit.Frontier.positions(size)
    if not wanted:
        return audit.Frontier()
    for level, index in wanted:
        if hashes.get(level) is None:
            raise AuditIntegrityError(f"audit node {(level, index)} is missing from storage")
    return audit.Frontier(size, tuple(bytes(hashes[level]) for level, _ in wanted))


def latest_head(tx: Connection) -> audit.SignedTreeHead | None:
    row = tx.execute(
        select(audit_heads.c.head).order_by(audit_heads.c.size.desc()).limit(1)
    ).first()
    return audit.SignedTreeHead.from_json(row.head) if row else None


def sign_head(
    tx: Connection, signing_key: Any, key_id: str, *, at: datetime
) -> audit.SignedTreeHead:
    """Sign the head of the log as it is now (or return the latest if nothing was added)."""
    lock_for_append(tx)
    current = size(tx)
    latest = latest_head(tx)
    if latest is not None and latest.head.size == current:
        return latest
    root = audit.root_at(current, _reader(tx)) if current else audit.EMPTY_ROOT
    signed = audit.sign_head(audit.TreeHead(current, root, at), signing_key, key_id)
    tx.execute(insert(audit_heads).values(size=current, head=signed.to_json(), signed_at=at))
    return signed


def consistency(tx: Connection, old_size: int, new_size: int) -> list[bytes]:
    """The RFC 9162 proof that the log at ``new_size`` extends itself at ``old_size``."""
    return audit.consistency_proof(old_size, new_size, _reader(tx))


def cosigned_by(head: audit.SignedTreeHead, witness: str, directory: seal.Directory) -> bool:
    """Whether ``head`` carries a cosignature by ``witness``, by a key of that party in
    ``directory`` (any of its key generations); one that does not verify is
    :class:`~pactshare.errors.InvalidTreeHeadError`."""
    for cosignature in head.cosignatures:
        try:
            owner, key = directory.signing_key(cosignature.key_id)
        except EnvelopeKeyError:
            continue
        if owner == witness:
            audit.verify_cosignature(head, cosignature.key_id, key)
            return True
    return False


PAGE_ROWS = 1024
"""Entries read per query when verifying: the log is read in pages, never whole."""


def verify(
    tx: Connection,
    public_key: Ed25519PublicKey,
    *,
    directory: seal.Directory | None = None,
    attested: Sequence[tuple[str, audit.SignedTreeHead]] = (),
) -> audit.VerifyReport:
    """Recompute the whole log from storage and check every signed head and stored node.

    Every witness's cosignature kept (the ``cosignatures`` table) is checked against the
    entries at its size, and with ``directory`` its cosignature is verified too; ``attested``
    adds heads held elsewhere (a peer's answer), each with who holds it. The entries and the
    stored nodes are read in pages (:func:`pactshare.audit.verify_stream`), under the log's
    append lock so that the pages are of one log.
    """
    lock_for_append(tx)
    count = tx.execute(select(func.count()).select_from(audit_entries)).scalar_one()
    heads = [
        audit.SignedTreeHead.from_json(h)
        for h in tx.execute(select(audit_heads.c.head).order_by(audit_heads.c.size)).scalars()
    ]
    kept, forged = _stored_cosignatures(tx, directory)
    gaps: list[int] = []
    report = audit.verify_stream(
        _entries(tx, gaps),
        count,
        heads,
        public_key,
        stored=_StoredNodes(tx),
        attested=[*kept, *attested],
    )
    if forged:
        report = audit.VerifyReport(report.size, report.root, report.heads_verified,
                                    report.covered, (*forged, *report.problems))  # fmt: skip
    if gaps:
        problem = audit.Problem(
            audit.ProblemKind.REMOVED,
            f"entry positions are not contiguous from {gaps[0]}: a row was removed or renumbered",
            position=gaps[0],
        )
        return audit.VerifyReport(report.size, report.root, report.heads_verified, report.covered,
                                  (problem, *report.problems))  # fmt: skip
    return report


def _entries(tx: Connection, gaps: list[int]) -> Iterator[bytes]:
    """Every entry's bytes by position, a page at a time; the first index whose row is not at
    that position goes into ``gaps``."""
    query = (
        select(audit_entries.c.position, audit_entries.c.data)
        .order_by(audit_entries.c.position)
        .limit(PAGE_ROWS)
    )
    index, page = 0, tx.execute(query).all()
    while page:
        for position, data in page:
            if position != index and not gaps:
                gaps.append(index)
            index += 1
            yield bytes(data)
        if len(page) < PAGE_ROWS:
            return
        page = tx.execute(query.where(audit_entries.c.position > page[-1].position)).all()


class _StoredNodes:
    """The stored perfect nodes as the verifier reads them (:class:`pactshare.audit.StoredNodes`):
    each answer one indexed query."""

    def __init__(self, tx: Connection) -> None:
        self._tx = tx

    def count(self, level: int) -> int:
        query = select(func.count()).select_from(audit_nodes).where(audit_nodes.c.level == level)
        return int(self._tx.execute(query).scalar_one())

    def last(self, level: int, stop: int) -> int | None:
        column = audit_nodes.c.idx
        query = select(func.max(column)).where(
            audit_nodes.c.level == level, column >= 0, column < stop
        )
        found = self._tx.execute(query).scalar_one_or_none()
        return None if found is None else int(found)

    def rows(self, level: int, start: int, stop: int) -> list[tuple[int, bytes]]:
        column = audit_nodes.c.idx
        query = select(column, audit_nodes.c.hash).where(
            audit_nodes.c.level == level, column >= start, column < stop
        )
        return [(index, bytes(hashed)) for index, hashed in self._tx.execute(query).all()]

    def outside(self, level: int, stop: int) -> tuple[int, int | None]:
        column = audit_nodes.c.idx
        query = select(func.count(), func.min(column)).where(
            audit_nodes.c.level == level, or_(column < 0, column >= stop)
        )
        count, smallest = self._tx.execute(query).one()
        return int(count), None if smallest is None else int(smallest)

    def beyond(self, levels: int) -> tuple[int, tuple[int, int] | None]:
        where = or_(audit_nodes.c.level < 0, audit_nodes.c.level >= levels)
        count = self._tx.execute(select(func.count()).where(where)).scalar_one()
        first = self._tx.execute(
            select(audit_nodes.c.level, audit_nodes.c.idx)
            .where(where)
            .order_by(audit_nodes.c.level, audit_nodes.c.idx)
            .limit(1)
        ).first()
        return int(count), None if first is None else (int(first.level), int(first.idx))


def _stored_cosignatures(
    tx: Connection, directory: seal.Directory | None
) -> tuple[list[tuple[str, audit.SignedTreeHead]], list[audit.Problem]]:
    """The heads witnesses cosigned, as kept; and a problem for each unreadable one or, with
    ``directory``, each whose witness's cosignature does not verify."""
    kept, problems = [], []
    rows = tx.execute(
        select(cosignatures.c.witness, cosignatures.c.size, cosignatures.c.head).order_by(
            cosignatures.c.size, cosignatures.c.witness
        )
    )
    for row in rows:
        where = f"the head {row.witness} cosigned at size {row.size}"
        try:
            head = audit.SignedTreeHead.from_dict(row.head)
            if head.size != row.size:
                raise InvalidTreeHeadError(f"it is a head of size {head.size}")
            if directory is not None and not cosigned_by(head, row.witness, directory):
                raise InvalidTreeHeadError(f"it carries no cosignature by {row.witness}")
        except (InvalidTreeHeadError, TypeError, ValueError) as exc:
            message = f"{where} was altered ({exc})"
            problems.append(audit.Problem(audit.ProblemKind.BAD_SIGNATURE, message))
            continue
        kept.append((where, head))
    return kept, problems


@dataclass(frozen=True, slots=True)
class Proof:
    """An inclusion proof: the entry's position and leaf hash, the tree's size and root, the
    path's hashes (hex), the entry and the signed head as JSON (docs/audit.md)."""

    position: int
    size: int
    leaf_hash: str
    root: str
    proof: tuple[str, ...]
    entry: dict[str, Any]
    head: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "size": self.size,
            "leaf_hash": self.leaf_hash,
            "root": self.root,
            "proof": list(self.proof),
            "entry": self.entry,
            "head": self.head,
        }


def prove(tx: Connection, position: int) -> Proof:
    """The inclusion proof of entry ``position`` in the latest signed head that covers it."""
    head = latest_head(tx)
    if head is None or position >= head.head.size:
        raise NodeError(
            f"no signed head covers entry {position} yet; sign one with: pactshare audit head"
        )
    if position < 0:
        raise NodeError(f"entry {position}: positions start at 0")
    data = tx.execute(
        select(audit_entries.c.data).where(audit_entries.c.position == position)
    ).scalar_one()
    leaf = audit.leaf_hash(bytes(data))
    hashes = audit.inclusion_proof(position, head.head.size, _reader(tx))
    audit.verify_inclusion(leaf, position, head.head.size, hashes, head.head.root)
    return Proof(
        position=position,
        size=head.head.size,
        leaf_hash=leaf.hex(),
        root=head.head.root.hex(),
        proof=tuple(h.hex() for h in hashes),
        entry=json.loads(bytes(data)[len(audit.ENTRY_DOMAIN) :]),
        head=head.to_dict(),
    )


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """A consistency proof: both sizes and roots, the hashes (hex), and the node's signed
    heads of exactly those sizes as JSON (None where it signed none)."""

    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: tuple[str, ...]
    old_head: dict[str, Any] | None
    new_head: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": self.old_root,
            "new_root": self.new_root,
            "proof": list(self.proof),
            "old_head": self.old_head,
            "new_head": self.new_head,
        }


def prove_consistency(
    tx: Connection, old_size: int, new_size: int | None = None, *, names: tuple[str, str]
) -> ConsistencyProof:
    """The RFC 9162 proof that the log at ``new_size`` (default: the latest signed head)
    extends itself at ``old_size``; ``1 ≤ old ≤ new ≤`` the latest signed head. Bad sizes
    raise :class:`InputError` naming the parameter as the caller calls it (``names``)."""
    old_name, new_name = names
    head = latest_head(tx)
    if head is None:
        raise NodeError("no signed head yet; sign one with: pactshare audit head")
    latest = head.head.size
    new = latest if new_size is None else new_size
    if not 1 <= new <= latest:
        raise InputError(
            f"{new_name}: {new} is not a size from 1 to {latest} (the latest signed head)"
        )
    if not 1 <= old_size <= new:
        raise InputError(f"{old_name}: {old_size} is not a size from 1 to {new} ({new_name})")
    reader = _reader(tx)
    old_root, new_root = audit.root_at(old_size, reader), audit.root_at(new, reader)
    hashes = audit.consistency_proof(old_size, new, reader)
    audit.verify_consistency(old_size, new, old_root, new_root, hashes)
    heads = {
        h.head.size: h
        for h in map(
            audit.SignedTreeHead.from_json,
            tx.execute(
                select(audit_heads.c.head).where(audit_heads.c.size.in_({old_size, new}))
            ).scalars(),
        )
    }
    for signed in heads.values():
        if signed.head.root != (old_root if signed.head.size == old_size else new_root):
            raise AuditIntegrityError(
                f"the signed head of size {signed.head.size} does not match the stored log"
            )
    return ConsistencyProof(
        old_size=old_size,
        new_size=new,
        old_root=old_root.hex(),
        new_root=new_root.hex(),
        proof=tuple(h.hex() for h in hashes),
        old_head=heads[old_size].to_dict() if old_size in heads else None,
        new_head=heads[new].to_dict() if new in heads else None,
    )
