"""Items: register (a streamed multipart upload), provide (queued to the outbox), the holdings
a person may see, an item's record, opening it (decrypted as a stream) and its sealed envelope.

Anything the person may not see answers 404 with the same body as an id that does not exist.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from pactshare import seal
from pactshare.api.auth import CurrentPerson, NodeDep, require
from pactshare.api.problems import PROBLEM_JSON, ProblemError, problem_document
from pactshare.api.rate import RateLimit
from pactshare.api.v1.decisions import DecisionOut
from pactshare.api.v1.documents import SignedDocument
from pactshare.errors import InputError, LabelError, NotFoundError, RefusedError
from pactshare.limits import BLOCK, blocks, parse_json, parse_toml
from pactshare.node.clock import monotonic
from pactshare.node.dossier import item_dossier
from pactshare.node.holdings import admit, hidden, item_for, plaintext, visible_holdings
from pactshare.node.items import get_item, new_label, register_label
from pactshare.node.people import PersonRecord, Role
from pactshare.node.provision import provide
from pactshare.node.service import Node

__all__ = [
    "ConsentRecord",
    "DerivedRecord",
    "IncidentRecord",
    "SeenItem",
    "router",
]

router = APIRouter(tags=["items"])
Originator = Annotated[PersonRecord, Depends(require(Role.ORIGINATOR))]
REFUSAL_FLOOR = 0.012  # seconds: the least time a refused open takes to answer
OPENAPI_BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}


class Holding(BaseModel):
    item_id: str
    originator: str
    origin: str
    received_from: str | None
    marking: str
    topics: list[str]
    state: str
    open_incidents: list[str] = Field(description="States of its incidents not yet closed.")


class Registered(BaseModel):
    item_id: str
    marking: str


class ProvideIn(BaseModel):
    to: str = Field(min_length=1, max_length=3, description="The recipient party, e.g. JPN.")


class ProvisionOut(BaseModel):
    provision_id: str
    to: str
    delivery: str
    decision: DecisionOut


class Record(BaseModel):
    """A record built from the node's read model of the same name (fields by attribute;
    renamed by alias)."""

    model_config = ConfigDict(from_attributes=True)


class ProvisionRecord(Record):
    provision_id: str
    to: str = Field(validation_alias="recipient")
    decided_at: datetime
    outcome: str
    state: str


class ReceiptRecord(Record):
    package_id: str
    sender: str
    received_at: datetime
    receipt: SignedDocument


class AccessRecord(Record):
    person: str
    at: datetime
    granted: bool
    reasons: list[dict[str, str]]


class ConsentRecord(Record):
    approval_id: str
    originator: str
    kind: str
    subject: str
    recorded_at: datetime
    revoked_at: datetime | None


class IncidentRecord(Record):
    incident_id: str
    item_id: str
    holder: str = Field(description="The party that reported it: this node's, or a holder's.")
    received: bool = Field(description="Reported by a holder of our item (notices received).")
    state: str
    summary: str
    reported_at: datetime
    closed_at: datetime | None


class DerivedRecord(Record):
    """A copy or translation made on this node (R-REP-1, R-TRA-1)."""

    item_id: str = Field(description="The derived item's own id.")
    derived_from: str = Field(
        validation_alias="original", description="The original item it was made from."
    )
    derivation: str = Field(validation_alias="kind", description="copy or translation")
    number: int = Field(description="Its number among the original's copies and translations.")
    copy_limit: int = Field(description="How many the originator allows (its label's).")
    language: str | None
    marking: str
    made_by: str
    made_at: datetime


class ItemDetail(BaseModel):
    item_id: str
    label: dict[str, Any]
    originator: str
    origin: str
    received_from: str | None
    received_under: str | None
    marking: str
    marking_level: str
    state: str
    needs_remarking: bool
    derived_from: str | None
    disposal: SignedDocument | None
    provisions: list[ProvisionRecord]
    receipts: list[ReceiptRecord]
    access: list[AccessRecord]
    consents: list[ConsentRecord]
    incidents: list[IncidentRecord]
    derived: list[DerivedRecord] = Field(description="Copies and translations made of it here.")
    derivation: DerivedRecord | None = Field(description="How it was made, if it is one.")


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` that no file name can break (RFC 6266): an ASCII fallback
    without quotes, backslashes or control characters, and the exact name percent-encoded."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    exact = quote(filename.encode("utf-8", "replace"), safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"


def seen_item(item_id: str, node: NodeDep, person: CurrentPerson) -> str:
    """The item id from the path, once the person may see the item (else 404, as if absent)."""
    item_for(node, person, item_id)
    return item_id


SeenItem = Annotated[str, Depends(seen_item)]


def parse_label(text: str, node: Node) -> seal.Label:
    """A label sent as JSON (an object) or TOML; errors name the field (``label.KEY``)."""
    try:
        as_json = text.lstrip().startswith("{")
        data = parse_json(text, what="JSON") if as_json else parse_toml(text, what="TOML")
    except InputError as exc:
        raise LabelError(f"neither a JSON object nor TOML ({exc})", file="label") from exc
    if not isinstance(data, dict):
        raise LabelError("must be an object", file="label")
    return new_label(data, source="label", at=node.now())


@router.post("/items", status_code=201, summary="Register an item (originator; streamed upload)")
def register_item(
    file: Annotated[UploadFile, File(description="The item's content.")],
    label: Annotated[str, Form(description="The item's label, as TOML or a JSON object.")],
    node: NodeDep,
    person: Originator,
) -> Registered:
    parsed = parse_label(label, node)
    with tempfile.TemporaryDirectory(prefix="pactshare-upload-") as folder:
        payload = Path(folder) / "item"
        with payload.open("wb") as out:  # the upload is spooled to disk, copied by chunks
            shutil.copyfileobj(file.file, out, BLOCK)
        item_id = register_label(node, payload, parsed, source="label")
    return Registered(item_id=item_id, marking=get_item(node, item_id).marking)


@router.post(
    "/items/{item_id}/provisions",
    status_code=201,
    summary="Provide an item to a party (originator): decided now, queued to the outbox",
    responses={422: {"description": "Refused, with the reasons"}},
)
def provide_item(
    person: Originator, item_id: SeenItem, body: ProvideIn, node: NodeDep
) -> ProvisionOut:
    provision = provide(node, item_id, body.to, package=None)
    route = provision.decision["route"]
    return ProvisionOut(
        provision_id=provision.provision_id,
        to=route[0]["to"],
        delivery="outbox",
        decision=DecisionOut.model_validate(provision.decision),
    )


@router.get("/items", summary="The holdings the person may see")
def list_items(node: NodeDep, person: CurrentPerson) -> list[Holding]:
    return [Holding.model_validate(h, from_attributes=True) for h in visible_holdings(node, person)]


@router.get("/inbox", summary="The received holdings the person may see")
def inbox(node: NodeDep, person: CurrentPerson) -> list[Holding]:
    held = visible_holdings(node, person, received_only=True)
    return [Holding.model_validate(h, from_attributes=True) for h in held]


@router.get("/items/{item_id}", summary="An item: label, marking, custody and its records")
def show_item(item_id: str, node: NodeDep, person: CurrentPerson) -> ItemDetail:
    found = item_dossier(node, person, item_id)
    item = found.item
    return ItemDetail(
        item_id=item.id,
        label=item.label,
        originator=item.originator,
        origin=item.origin,
        received_from=item.received_from,
        received_under=item.received_under,
        marking=item.marking,
        marking_level=item.marking_level,
        state=item.state,
        needs_remarking=item.needs_remarking,
        derived_from=item.derived_from,
        disposal=None if item.disposal is None else SignedDocument.model_validate(item.disposal),
        provisions=[ProvisionRecord.model_validate(r) for r in found.provisions],
        receipts=[ReceiptRecord.model_validate(r) for r in found.receipts],
        access=[AccessRecord.model_validate(r) for r in found.access],
        consents=[ConsentRecord.model_validate(r) for r in found.consents],
        incidents=[IncidentRecord.model_validate(r) for r in found.incidents],
        derived=[DerivedRecord.model_validate(r) for r in found.derived],
        derivation=None
        if found.derivation is None
        else DerivedRecord.model_validate(found.derivation),
    )


@router.get(
    "/items/{item_id}/content",
    summary="Open an item: decrypted for the person, recorded in the access registry",
    response_class=StreamingResponse,
    responses={200: OPENAPI_BINARY},
)
def open_content(item_id: str, request: Request, node: NodeDep, person: CurrentPerson) -> Response:
    """Every attempt is recorded, granted or not, so attempts are limited per person (429)."""
    limit: RateLimit = request.app.state.open_rate
    wait = limit.take(person.name)
    if wait is not None:
        raise ProblemError(
            429,
            "Too many requests",
            f"{person.name} may open at most {limit.per_minute} items a minute; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    started = monotonic()
    try:
        row = admit(node, item_id, person_name=person.name)
    except (NotFoundError, RefusedError):  # denied: recorded, and as if absent
        row = None  # the exception (its frames, what they held) is let go here, not later
    if row is None:
        # Both paths do the same work, but their records differ in size: the one answer for
        # both is made, then sent no sooner than a floor, so that nothing done after the
        # floor differs and nothing in the timing tells a hidden item from an absent one.
        answer = problem_document(request, hidden(item_id))
        refused = JSONResponse(answer, status_code=answer["status"], media_type=PROBLEM_JSON)
        time.sleep(max(0.0, REFUSAL_FLOOR - (monotonic() - started)))
        return refused
    return StreamingResponse(
        plaintext(node, row.envelope),
        media_type="application/octet-stream",
        headers={"Content-Disposition": attachment(row.id)},
    )


@router.get(
    "/items/{item_id}/envelope",
    summary="Download the item's sealed envelope (streamed)",
    response_class=StreamingResponse,
    responses={200: OPENAPI_BINARY},
)
def download_envelope(item_id: str, node: NodeDep, person: CurrentPerson) -> StreamingResponse:
    row = item_for(node, person, item_id)

    def chunks() -> Iterator[bytes]:
        with node.objects.open(row.envelope) as sealed:
            yield from blocks(sealed)

    return StreamingResponse(
        chunks(),
        media_type="application/octet-stream",
        headers={"Content-Disposition": attachment(f"{row.id}.pse")},
    )
