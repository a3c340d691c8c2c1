"""Copies and translations of a held item (R-REP-1, R-TRA-1): derived items.

A derived item is sealed by the holder for itself under a *derived label*, signed by the
holder: every field of the original's label (all its markings), and ``derived_by``,
``derived_from`` (the digest of the original's label) and ``derivation``; a translation adds
its ``language`` and the note in that language that it holds the originating party's
information (:mod:`pactshare.domain.derivations`). It is recorded as an item of its own,
marked as the original is, with ``derived_from`` naming the original, and numbered in
``derivations``: copies and translations together never exceed the originator's
``copy_limit``.

Who may make one is decided as ``open`` decides (clearance and need-to-know, R-ACC-2) plus
the limit and the original's custody; every attempt, made or refused, goes to the access
registry (R-PRO-5) and the audit log, and each derived item is a registration entry. The
controls reach it: :func:`reach_derived` re-marks copies with their original,
:func:`derived_held` lists what a disposal destroys with it, :func:`original_of` is what an
incident about a copy is reported under.
"""

from __future__ import annotations

import codecs
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, select, update

from pactshare import seal
from pactshare.audit import EntryKind
from pactshare.domain import Party
from pactshare.domain.derivations import (
    DerivationKind,
    Original,
    check_language,
    derivation_reasons,
    translation_note,
)
from pactshare.errors import InputError, NodeError, RefusedError
from pactshare.limits import MAX_TRANSLATION, blocks
from pactshare.node import faults, journal
from pactshare.node.envelopes import store_envelope
from pactshare.node.holdings import askable, attempt, denials, hidden, plaintext
from pactshare.node.items import Item, ItemState, find_item, holding_of
from pactshare.node.service import Node
from pactshare.store.schema import derivations, items

__all__ = [
    "Derived",
    "copy_item",
    "derivation_of",
    "derived_held",
    "derived_items",
    "original_of",
    "reach_derived",
    "translate_item",
]

_TEXT_CONTROLS = frozenset("\t\n\r\f")  # the only control characters a translation's text has


@dataclass(frozen=True, slots=True)
class Derived:
    """A copy or translation made here: its item, the original, its number of the limit."""

    item_id: str
    original: str
    kind: str
    number: int
    copy_limit: int
    language: str | None
    marking: str
    made_by: str
    made_at: datetime
    label: dict[str, Any]


def copy_item(node: Node, item_id: str, *, person_name: str) -> Derived:
    """Make a copy of a held item as ``person_name`` (R-REP-1)."""

    def content(row: Item) -> Iterator[bytes]:
        return plaintext(node, row.envelope)

    return _derive(node, item_id, person_name, DerivationKind.COPY, content, language=None)


def translate_item(
    node: Node, item_id: str, *, person_name: str, language: str, text: Path
) -> Derived:
    """Record ``text`` (UTF-8 text, at most :data:`MAX_TRANSLATION` bytes) as a translation
    of a held item into ``language``, made by ``person_name`` (R-TRA-1)."""
    check_language(language)  # refused before anything is read or recorded
    _check_text(text)

    def content(_row: Item) -> Iterator[bytes]:
        try:
            with text.open("rb") as source:
                yield from blocks(source)
        except OSError as exc:
            raise InputError(f"--file {text}: cannot be read ({exc.strerror})") from exc

    return _derive(
        node, item_id, person_name, DerivationKind.TRANSLATION, content, language=language
    )


def _check_text(path: Path) -> None:
    """Refuse a translation file that is not UTF-8 text or is larger than the bound."""
    what = f"--file {path}"
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"{what}: not a regular file")
        if size > MAX_TRANSLATION:
            raise InputError(
                f"{what}: {size} bytes; a translation is text of at most {MAX_TRANSLATION} bytes"
            )
        decoder = codecs.getincrementaldecoder("utf-8")()
        read = 0
        with path.open("rb") as source:
            for block in blocks(source):
                _check_chars(decoder.decode(block), what)
                read += len(block)
            _check_chars(decoder.decode(b"", final=True), what)
    except OSError as exc:
        raise InputError(f"{what}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what}: not UTF-8 text (near byte {read}); a translation is text"
        ) from exc
    if read > MAX_TRANSLATION:  # it grew while read
        raise InputError(f"{what}: a translation is text of at most {MAX_TRANSLATION} bytes")


def _check_chars(text: str, what: str) -> None:
    for char in text:
        if not char.isprintable() and not char.isspace() and char not in _TEXT_CONTROLS:
            raise InputError(
                f"{what}: holds the character U+{ord(char):04X}; a translation is text, "
                "not binary data"
            )


class _Stream:
    """A readable stream over an iterator of byte blocks (what ``seal.seal`` reads from)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self._buffer) < size:
            block = next(self._chunks, None)
            if block is None:
                break
            self._buffer += block
        cut = len(self._buffer) if size < 0 else size
        piece, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return piece


def _original(tx: Connection, party: Party, row: Item) -> Original:
    made = tx.execute(
        select(func.count()).select_from(derivations).where(derivations.c.original == row.id)
    ).scalar_one()
    return Original(
        holding=holding_of(party, row),
        state=row.state.value,
        derived_from=row.derived_from,
        derivation=row.label.get("derivation"),
        copy_limit=row.label.get("copy_limit"),
        made=made,
    )


def _derive(
    node: Node,
    item_id: str,
    person_name: str,
    kind: DerivationKind,
    content: Callable[[Item], Iterator[bytes]],
    *,
    language: str | None,
) -> Derived:
    """Decide, record the attempt, seal the derived item and record it (see the module)."""
    askable(item_id)
    now = node.now()
    with node.db.atomic() as tx:
        party = node.party(tx)
        row, reasons = attempt(
            node,
            tx,
            item_id,
            person_name=person_name,
            at=now,
            also=lambda held: derivation_reasons(_original(tx, party, held), kind),
            details={"to_make": kind.value},
        )
    if row is None:
        raise hidden(item_id)
    refused = denials(reasons)
    if refused:
        raise RefusedError(
            f"{person_name} may not make a {kind.value} of {item_id}", reasons=refused
        )
    original = seal.Label.from_mapping(row.label)
    fields: dict[str, object] = {
        **row.label,
        "item_id": uuid.uuid4().hex,
        "created_at": now,
        "derived_from": original.canonical_digest(),
        "derived_by": node.party_code,
        "derivation": kind.value,
    }
    if language is not None:
        fields |= {"language": language, "note": translation_note(language, row.originator)}
    label = seal.Label.from_mapping(fields, source=f"the {kind.value} of {item_id}")
    digest, size = node.objects.put_chunks(
        seal.seal(_Stream(content(row)), label, node.keys, [node.keys.public()])
    )
    faults.checkpoint(f"{kind.value}:sealed")
    return _record(node, row, label, made_by=person_name, envelope=(digest, size))


def _record(
    node: Node, row: Item, label: seal.Label, *, made_by: str, envelope: tuple[str, int]
) -> Derived:
    """Record the sealed derived item, numbered within the limit, re-checked in this
    transaction (the original may have been disposed of, or the last number taken, since)."""
    now, (digest, size), kind = label.created_at, envelope, str(label.derivation)
    with node.db.atomic() as tx:
        # The original's row is locked (PostgreSQL; SQLite's write lock is the whole database)
        # so that copies of one original are numbered one at a time.
        tx.execute(select(items.c.id).where(items.c.id == row.id).with_for_update()).first()
        current = find_item(tx, row.id)
        made = tx.execute(
            select(func.count()).select_from(derivations).where(derivations.c.original == row.id)
        ).scalar_one()
        limit = int(row.label["copy_limit"])
        if current is None or current.state != ItemState.HELD or made >= limit:
            raise NodeError(
                f"{row.id} changed while its {kind} was made (disposed of, or its "
                f"{limit} copies and translations taken); nothing was recorded"
            )
        store_envelope(node, tx, digest, size)
        tx.execute(
            insert(items).values(
                id=label.item_id,
                originator=current.originator,
                label=label.as_json(),
                envelope=digest,
                origin=kind,
                received_from=None,
                received_under=current.received_under,
                marking_level=current.marking_level,
                marking=current.marking,
                state=ItemState.HELD.value,
                needs_remarking=False,
                derived_from=row.id,
                recorded_at=now,
            )
        )
        tx.execute(
            insert(derivations).values(
                item_id=label.item_id,
                original=row.id,
                number=made + 1,
                kind=kind,
                language=label.language,
                made_by=made_by,
                made_at=now,
            )
        )
        journal.record(
            tx,
            kind=EntryKind.REGISTRATION,
            at=now,
            actor=made_by,
            subject=label.item_id,
            details={
                "label": label.as_json(),
                "envelope": digest,
                "size": size,
                "derived_from": row.id,
                "number": made + 1,
                "copy_limit": limit,
            },
        )
    return Derived(
        item_id=label.item_id,
        original=row.id,
        kind=kind,
        number=made + 1,
        copy_limit=limit,
        language=label.language,
        marking=current.marking,
        made_by=made_by,
        made_at=now,
        label=label.as_json(),
    )


def derived_items(tx: Connection, original: str) -> list[Derived]:
    """The copies and translations made here of ``original``, in the order they were made."""
    return _derivations(tx, derivations.c.original == original)


def derivation_of(tx: Connection, item_id: str) -> Derived | None:
    """How ``item_id`` was made, if it is a copy or translation made here; None otherwise."""
    found = _derivations(tx, derivations.c.item_id == item_id)
    return found[0] if found else None


def _derivations(tx: Connection, where: ColumnElement[bool]) -> list[Derived]:
    rows = tx.execute(
        select(derivations, items.c.marking, items.c.label)
        .join(items, items.c.id == derivations.c.item_id)
        .where(where)
        .order_by(derivations.c.number)
    )
    return [
        Derived(
            item_id=r.item_id,
            original=r.original,
            kind=r.kind,
            number=r.number,
            copy_limit=int(r.label["copy_limit"]),
            language=r.language,
            marking=r.marking,
            made_by=r.made_by,
            made_at=r.made_at,
            label=r.label,
        )
        for r in rows
    ]


def derived_held(tx: Connection, original: str) -> list[Item]:
    """The copies and translations of ``original`` still held (what its disposal reaches)."""
    found = (find_item(tx, d.item_id) for d in derived_items(tx, original))
    return [row for row in found if row is not None and row.state == ItemState.HELD]


def original_of(tx: Connection, item_id: str) -> str | None:
    """The original a copy or translation was made from; None for any other item."""
    found = derivation_of(tx, item_id)
    return None if found is None else found.original


def reach_derived(
    tx: Connection, item_id: str, *, marking_level: str, marking: str
) -> tuple[int, int]:
    """Carry a re-marking of ``item_id`` to what was derived from it: its copies and
    translations take the same marking (R-REP-1: the same controls); other documents made
    from it (R-MARK-2) are flagged for re-marking. Return how many of each."""
    copies = select(derivations.c.item_id).where(derivations.c.original == item_id)
    remarked = tx.execute(
        update(items)
        .where(items.c.id.in_(copies))
        .values(marking_level=marking_level, marking=marking)
    ).rowcount
    flagged = tx.execute(
        update(items)
        .where(items.c.derived_from == item_id, items.c.id.not_in(copies))
        .values(needs_remarking=True)
    ).rowcount
    return remarked, flagged
