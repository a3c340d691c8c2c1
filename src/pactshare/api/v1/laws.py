"""National laws covering the information's protection (R-LAW-1): a security officer asks a
party which of its laws cover it, or states ours (in reply to an inquiry, or unprompted);
anyone with a token lists the inquiries and statements. Each is a signed document queued for
the other party."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from pactshare.api.auth import CurrentPerson, NodeDep, require
from pactshare.api.v1.documents import SignedDocument
from pactshare.domain import normalise_party_code
from pactshare.node.laws import MAX_LAW_TEXT, MAX_LAWS, ask_laws, list_laws, state_laws
from pactshare.node.people import PersonRecord, Role

__all__ = ["router"]

router = APIRouter(tags=["laws"])
Officer = Annotated[PersonRecord, Depends(require(Role.SECURITY_OFFICER))]


class InquiryIn(BaseModel):
    party: str = Field(pattern=r"^[A-Za-z]{3}$", description="The party asked, e.g. JPN.")
    agreement: str = Field(max_length=100, description="e.g. gsomia-kor-jpn-2016")


class LawIn(BaseModel):
    title: str = Field(min_length=1, max_length=MAX_LAW_TEXT)
    reference: str = Field(default="", max_length=MAX_LAW_TEXT)


class StatementIn(BaseModel):
    laws: list[LawIn] = Field(min_length=1, max_length=MAX_LAWS)
    reply_to: str | None = Field(default=None, max_length=100, description="The inquiry.")
    to: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$", description="Unprompted.")
    agreement: str | None = Field(default=None, max_length=100, description="Unprompted.")


class InquiryOut(BaseModel):
    id: str
    agreement_id: str
    asking: str
    asked: str
    recorded_at: datetime
    answered_by: str | None


class StatementOut(BaseModel):
    id: str
    agreement_id: str
    party: str
    to: str
    in_reply_to: str | None
    laws: list[tuple[str, str]] = Field(description="Each law's title and reference.")
    recorded_at: datetime


class LawsOut(BaseModel):
    inquiries: list[InquiryOut]
    statements: list[StatementOut]


@router.get("/laws", summary="Law inquiries and statements, given and received (R-LAW-1)")
def laws(node: NodeDep, person: CurrentPerson, agreement: str | None = None) -> LawsOut:
    inquiries, statements = list_laws(node, agreement)
    return LawsOut(
        inquiries=[InquiryOut.model_validate(asdict(i)) for i in inquiries],
        statements=[StatementOut.model_validate(asdict(s)) for s in statements],
    )


@router.post(
    "/laws/inquiries",
    status_code=201,
    summary="Ask a party which of its laws cover the information's protection (R-LAW-1)",
)
def ask(body: InquiryIn, node: NodeDep, officer: Officer) -> SignedDocument:
    document = ask_laws(
        node, normalise_party_code(body.party), agreement_id=body.agreement, by=officer.name
    )
    return SignedDocument.model_validate(document)


@router.post(
    "/laws/statements",
    status_code=201,
    summary="State our laws covering the information's protection (R-LAW-1)",
)
def state(body: StatementIn, node: NodeDep, officer: Officer) -> SignedDocument:
    document = state_laws(
        node,
        [(law.title, law.reference) for law in body.laws],
        reply_to=body.reply_to,
        agreement_id=body.agreement,
        to=normalise_party_code(body.to) if body.to is not None else None,
        by=officer.name,
    )
    return SignedDocument.model_validate(document)
