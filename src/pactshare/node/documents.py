"""Signed documents between parties: manifests, receipts, approvals, notes, certificates,
incident reports, witnessing's ``tree-head``, ``cosignature``, ``witnessed-heads`` and
``cosigned-head`` (:mod:`pactshare.federation.attestation`), and
the ``acknowledgement`` a node answers to every other federation message (see
:mod:`pactshare.federation.inbound`). Each is ``{"kind", "body", "signer_key_id",
"signature"}``; the signature is Ed25519 over
``b"pactshare/<kind>/v1\\x00"`` + the RFC 8785 canonical JSON of the body, so a document of
one kind can never pass for another. Verification uses the pinned directory only.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from pactshare import canonical, seal
from pactshare.errors import EnvelopeKeyError, InputError, PackageError, translated
from pactshare.files import atomic_output, read_regular
from pactshare.limits import ID_PATTERN, MAX_DOCUMENT, parse_json

__all__ = [
    "ACKNOWLEDGEMENT",
    "Id",
    "PartyCode",
    "checked_body",
    "read_document",
    "sign_document",
    "verify_document",
    "write_document",
]

ACKNOWLEDGEMENT = "acknowledgement"  # what a receiver signs for a document it recorded
Id = Annotated[str, Field(pattern=f"^{ID_PATTERN.pattern}$")]  # anchored: a pattern searches
PartyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Body = TypeVar("Body", bound=BaseModel)


def _signed_bytes(kind: str, body: dict[str, Any]) -> bytes:
    return f"pactshare/{kind}/v1\x00".encode() + canonical.dumps(body)


def sign_document(kind: str, body: dict[str, Any], keys: seal.PartyKeys) -> dict[str, Any]:
    signature = keys.signing_key.sign(_signed_bytes(kind, body))
    return {
        "kind": kind,
        "body": body,
        "signer_key_id": keys.signing_key_id,
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def verify_document(
    document: Any, directory: seal.Directory, *, kind: str, where: str
) -> tuple[str, dict[str, Any]]:
    """Check a document's kind and signature; return the signing party and the body."""
    try:
        if document["kind"] != kind:
            raise PackageError(f"{where}: a {document['kind']} document, not a {kind}")
        body = document["body"]
        signature = base64.b64decode(document["signature"], validate=True)
        key_id = str(document["signer_key_id"])
        if not isinstance(body, dict):
            raise TypeError("body is not an object")
    except (KeyError, TypeError, binascii.Error) as exc:
        raise PackageError(f"{where}: not a signed {kind} document ({exc})") from exc
    try:
        party, public_key = directory.signing_key(key_id)
    except EnvelopeKeyError as exc:
        raise PackageError(f"{where}: signed by a key not in the pinned directory") from exc
    try:
        signed = _signed_bytes(kind, body)
    except canonical.CanonicalizationError as exc:  # e.g. an integer beyond 2**53: never signed
        raise PackageError(f"{where}: the body has no canonical form ({exc})") from exc
    with translated(PackageError, f"{where}: the signature does not verify"):
        public_key.verify(signature, signed)
    return party, body


def checked_body(model: type[Body], body: dict[str, Any], *, where: str) -> Body:
    """A verified document's ``body`` read as ``model`` (the fields a handler reads, typed);
    a missing or ill-typed field is a :class:`PackageError` naming it."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise PackageError(f"{where}: body.{field}: {error['msg']}") from exc


def write_document(path: Path, document: dict[str, Any]) -> None:
    """Write a document atomically (temporary file, then rename)."""
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    with atomic_output(path) as out:
        out.write(text.encode("utf-8"))


def read_document(path: Path) -> Any:
    """A signed document a courier brought, parsed (not yet verified): a regular file of at
    most :data:`~pactshare.limits.MAX_DOCUMENT` bytes."""
    try:
        data = read_regular(path, MAX_DOCUMENT)
    except InputError as exc:
        raise PackageError(f"{path}: {exc}") from exc
    try:
        return parse_json(data, what=str(path))
    except InputError as exc:
        raise PackageError(f"{exc} (not a signed document)") from exc
