"""Copies and translations of an item (R-REP-1, R-TRA-1), made by the person calling, who
must be able to open it (clearance and need-to-know, as ``GET .../content`` decides); the
originator's ``copy_limit`` counts them. An item the person may not see answers 404."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import Field

from pactshare.api.auth import NodeDep, require
from pactshare.api.v1.items import DerivedRecord, SeenItem
from pactshare.errors import InputError
from pactshare.limits import BLOCK, MAX_TRANSLATION
from pactshare.node.copies import copy_item, translate_item
from pactshare.node.people import PersonRecord, Role

__all__ = ["DerivedOut", "router"]

router = APIRouter(tags=["copies"])
Maker = Annotated[
    PersonRecord, Depends(require(Role.READER, Role.ORIGINATOR, Role.SECURITY_OFFICER))
]


class DerivedOut(DerivedRecord):
    label: dict[str, Any] = Field(description="The derived label, signed by this node.")


@router.post(
    "/items/{item_id}/copies",
    status_code=201,
    summary="Make a copy of a held item (R-REP-1): counted against the originator's limit",
    responses={422: {"description": "Refused, with the reasons"}},
)
def make_copy(item_id: SeenItem, node: NodeDep, person: Maker) -> DerivedOut:
    return DerivedOut.model_validate(copy_item(node, item_id, person_name=person.name))


@router.post(
    "/items/{item_id}/translations",
    status_code=201,
    summary="Record a translation of a held item (R-TRA-1): it carries the note in its language",
    responses={422: {"description": "Refused, with the reasons"}},
)
def make_translation(
    item_id: SeenItem,
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
        made = translate_item(node, item_id, person_name=person.name, language=language, text=text)
    return DerivedOut.model_validate(made)
