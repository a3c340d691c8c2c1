"""The node's audit log for auditors: the latest signed head, signing a new one, an inclusion
proof for a position, a consistency proof between two sizes, and verification of the whole
log from storage.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from pactshare import audit
from pactshare.api.auth import NodeDep, require
from pactshare.errors import NotFoundError
from pactshare.node import auditing
from pactshare.node.disclosure import proof_for
from pactshare.node.people import PersonRecord, Role

__all__ = ["router"]

router = APIRouter(tags=["audit"])
Auditor = Annotated[PersonRecord, Depends(require(Role.AUDITOR))]


class Cosignature(BaseModel):
    key_id: str
    signature: str


class SignedHead(BaseModel):
    size: int
    root: str
    timestamp: str
    key_id: str
    signature: str
    cosignatures: list[Cosignature]


class ProofOut(BaseModel):
    position: int
    size: int
    leaf_hash: str
    root: str
    proof: list[str]
    entry: dict[str, Any]
    head: SignedHead


class ConsistencyOut(BaseModel):
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]
    old_head: SignedHead | None
    new_head: SignedHead | None


class AuditProblem(BaseModel):
    kind: str
    position: int | None
    last_position: int | None
    message: str


class VerifyOut(BaseModel):
    ok: bool
    size: int
    root: str
    heads_verified: int
    covered: int
    problems: list[AuditProblem]


def _head(signed: audit.SignedTreeHead) -> SignedHead:
    return SignedHead.model_validate(json.loads(signed.to_json()))


@router.get("/audit/head", summary="The latest signed tree head")
def latest(node: NodeDep, person: Auditor) -> SignedHead:
    signed = auditing.latest_head(node)
    if signed is None:
        raise NotFoundError("no signed head yet; sign one with POST /api/v1/audit/heads")
    return _head(signed)


@router.post("/audit/heads", status_code=201, summary="Sign the head of the log as it is now")
def sign(node: NodeDep, person: Auditor) -> SignedHead:
    return _head(auditing.sign_head(node))


@router.get("/audit/proofs/{position}", summary="Inclusion proof of an entry in the latest head")
def prove(
    position: Annotated[int, Path(ge=0, le=2**62)], node: NodeDep, person: Auditor
) -> ProofOut:
    """The entry is whole only if it concerns no item or one the person's clearance and
    need-to-know cover; otherwise it is ``{"kind", "at", "redacted": true}`` (the leaf hash
    still proves it)."""
    proof = proof_for(node, person, position)
    return ProofOut.model_validate(proof.to_dict())


@router.get(
    "/audit/consistency",
    summary="Consistency proof: the log at `to` extends the log at `from` (RFC 9162)",
)
def consistency(
    node: NodeDep,
    person: Auditor,
    old: Annotated[int, Query(alias="from", description="The older tree size (from 1).")],
    new: Annotated[
        int | None,
        Query(alias="to", description="The newer tree size (default: the latest signed head)."),
    ] = None,
) -> ConsistencyOut:
    proof = auditing.prove_consistency(node, old, new, names=("from", "to"))
    return ConsistencyOut.model_validate(proof.to_dict())


@router.get("/audit/verify", summary="Recompute the log from storage and check every head")
def verify(node: NodeDep, person: Auditor) -> VerifyOut:
    report = auditing.verify(node)
    return VerifyOut(
        ok=report.ok,
        size=report.size,
        root=report.root.hex(),
        heads_verified=report.heads_verified,
        covered=report.covered,
        problems=[
            AuditProblem(kind=p.kind.value, position=p.position,
                         last_position=p.last_position, message=p.message)
            for p in report.problems
        ],
    )  # fmt: skip
