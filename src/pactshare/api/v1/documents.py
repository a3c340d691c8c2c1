"""The signed documents the API hands back (approvals, notes, incident notices…)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["SignedDocument"]


class SignedDocument(BaseModel):
    """A document signed with the node's key: its kind, body and Ed25519 signature."""

    kind: str
    body: dict[str, Any]
    signer_key_id: str
    signature: str
