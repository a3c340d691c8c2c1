"""What of the audit log a person may read: an entry whole only if it concerns no item, or an
item the person may see now (clearance and need-to-know, R-ACC-2); otherwise redacted whole.

An entry about an item says what the item is (its id, label, topics, marking), what was
decided about it and who was refused it. The audit role lets a person check the log, not
read every item's metadata: a redacted entry keeps its kind and time (the proof around it
keeps its position and leaf hash), which is all that checking an inclusion proof needs — the
v1 leaf is the hash of the entry's bytes, so the proof verifies without them.

Whether an entry concerns an item is decided fail closed: its subject is an item this node
holds, or its kind is one that records an item's life (registration, decision, refusal,
provision, delivery, receipt, access, consent, notice, incident) and its subject is neither a
party nor the node itself (fork incidents and node events name those).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, select

from pactshare import audit
from pactshare.node import journal
from pactshare.node.holdings import item_if_visible
from pactshare.node.people import PersonRecord
from pactshare.node.service import Node
from pactshare.store.schema import items

__all__ = ["disclosed_entry", "proof_for"]

_ITEM_KINDS = frozenset(audit.EntryKind) - {audit.EntryKind.EVENT, audit.EntryKind.KEY}


def proof_for(node: Node, person: PersonRecord, position: int) -> journal.Proof:
    """The inclusion proof of entry ``position``, its entry redacted unless ``person`` may
    read it whole (see the module)."""
    with node.db.atomic() as tx:
        proof = journal.prove(tx, position)
        return replace(proof, entry=disclosed_entry(node, tx, person, proof.entry))


def disclosed_entry(
    node: Node, tx: Connection, person: PersonRecord, entry: dict[str, Any]
) -> dict[str, Any]:
    """``entry`` (as JSON) whole, or ``{"kind", "at", "redacted": true}``."""
    subject = str(entry["subject"])
    held = tx.execute(select(items.c.id).where(items.c.id == subject)).first() is not None
    if held:
        whole = item_if_visible(node, tx, person, subject) is not None
    else:
        whole = entry["kind"] not in _ITEM_KINDS or _names_no_item(node, tx, subject)
    if whole:
        return entry
    return {"kind": entry["kind"], "at": entry["at"], "redacted": True}


def _names_no_item(node: Node, tx: Connection, subject: str) -> bool:
    return subject == "node" or subject in node.registry(tx).parties
