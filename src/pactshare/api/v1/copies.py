"""Copies and translations of an item (R-REP-1, R-TRA-1), made by the person calling, who
must be able to open it (clearance and need-to-know, as ``GET .../content`` decides); the
originator's ``copy_limit`` counts them. Every attempt is recorded in the access registry; a
refusal of an item the person may not see answers 404, as if it did not exist."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import Field

from pactshare.api.auth import NodeDep, require
from pactshare.api.v1.items import DerivedRecord
from pactshare.errors import InputError, RefusedError
from pactshare.limits import BLOCK, MAX_TRANSLATION
from pactshare.node.copies import Derived, copy_item, translate_item
from pactshare.node.holdings import item_for
from pactshare.node.people import PersonRecord, Role
from pactshare.node.service import Node

__all__ = ["DerivedOut", "router"]

router = APIRouter(tags=["copies"])
Maker = Annotated[
    PersonRecord, Depends(require(Role.READER, Role.ORIGINATOR, Role.SECURITY_OFFICER))
]


class DerivedOut(DerivedRecord):
    label: dict[str, Any] = Field(description="The derived label, signed by this node.")


def _made(
    node: Node, person: PersonRecord, item_id: str, make: Callable[[], Derived]
) -> DerivedOut:
    """Make it; a refusal (recorded) answers 404 if the person may not see the item."""
    try:
        return DerivedOut.model_validate(make())
    except RefusedError:
        item_for(node, person, item_id)  # NotFoundError, as if absent, when hidden
        raise


@router.post(
    "/items/{item_id}/copies",
    status_code=201,
    summary="Make a copy of a held item (R-REP-1): counted against the originator's limit",
    responses={422: {"description": "Refused, with the reasons"}},
)
def make_copy(item_id: str, node: NodeDep, person: Maker) -> DerivedOut:
    return _made(node, person, item_id, lambda: copy_item(node, item_id, person_name=person.name))


@router.post(
    "/items/{item_id}/translations",
    status_code=201,
    summary="Record a translation of a held item (R-TRA-1): it carries the note in its language",
    responses={422: {"description": "Refused, with the reasons"}},
)
def make_translation(
    item_id: str,
    language: Annotated[str, Form(max_length=3, description="en, ja or ko.")],
    file: Annotated[UploadFile, File(description="The translation: UTF-8 text.")],
    node: NodeDep,
    person: Maker,
) -> DerivedOut:
    with tempfile.TemporaryDirectory(prefix="pactshare-translation-") as folder:
        text = Path(folder) / "translation.txt"
        with text.open("wb") as out:  # spooled to disk, never more than the bound
            copied = 0
            while block := file.file.read(BLOCK):
                copied += len(block)
                if copied > MAX_TRANSLATION:
                    raise InputError(
                        f"file: a translation is text of at most {MAX_TRANSLATION} bytes"
                    )
                out.write(block)
        return _made(
            node,
            person,
            item_id,
            lambda: translate_item(
                node, item_id, person_name=person.name, language=language, text=text
            ),
        )
