"""The transfer package: a sealed envelope with its signed manifest, for the network or for
hand carriage by courier (the path real exchanges still use).

A package is a ZIP archive holding exactly ``manifest.json`` and ``envelope.psx``. The
manifest names the package, sender, recipient, item, envelope digest and the sender's
decision; it is a signed document of kind ``transfer-package`` (see :mod:`.documents`).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pactshare import seal
from pactshare.errors import InputError, PackageError
from pactshare.limits import parse_json
from pactshare.node.documents import Id, PartyCode, checked_body, sign_document, verify_document
from pactshare.store.files import atomic_output

__all__ = [
    "KIND",
    "Manifest",
    "envelope_chunks",
    "read_manifest",
    "sign_manifest",
    "write_package",
]

KIND = "transfer-package"
_MANIFEST, _ENVELOPE = "manifest.json", "envelope.psx"
_MAX_MANIFEST = 1 << 20
_BLOCK = 1 << 20
#: What reading a damaged archive raises (a bad offset, an unknown compression method, an
#: encrypted entry, a truncated or corrupt deflate stream): a malformed package, each one.
_DAMAGED = (
    OSError,
    EOFError,
    zipfile.BadZipFile,
    NotImplementedError,
    RuntimeError,
    ValueError,
    zlib.error,
)


@dataclass(frozen=True, slots=True)
class Manifest:
    """A verified manifest: ``body`` is what the sender signed."""

    body: dict[str, Any]
    signer_key_id: str

    @property
    def package_id(self) -> str:
        return str(self.body["package_id"])

    @property
    def sender(self) -> str:
        return str(self.body["sender"])

    @property
    def recipient(self) -> str:
        return str(self.body["recipient"])

    @property
    def envelope_digest(self) -> str:
        return str(self.body["envelope"]["digest"])


def sign_manifest(body: dict[str, Any], keys: seal.PartyKeys) -> dict[str, Any]:
    return sign_document(KIND, body, keys)


def write_package(path: Path, signed_manifest: dict[str, Any], envelope: Iterator[bytes]) -> None:
    """Write the package atomically (a temporary file renamed into place)."""
    with (
        atomic_output(path) as out,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive,
    ):
        archive.writestr(_MANIFEST, json.dumps(signed_manifest, ensure_ascii=False, indent=2))
        with archive.open(_ENVELOPE, "w", force_zip64=True) as entry:
            for chunk in envelope:
                entry.write(chunk)


def read_manifest(path: Path, directory: seal.Directory) -> tuple[Manifest, zipfile.ZipFile]:
    """Open a package and verify its manifest's signature against the pinned directory.

    Returns the verified manifest and the open archive (the caller reads the envelope from
    it with :func:`envelope_chunks` and must close it).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageError(f"{path}: not a transfer package ({exc})") from exc
    try:
        names = sorted(archive.namelist())
        if names != sorted((_MANIFEST, _ENVELOPE)):
            raise PackageError(f"{path}: expected {_MANIFEST} and {_ENVELOPE}, found {names}")
        if archive.getinfo(_MANIFEST).file_size > _MAX_MANIFEST:
            raise PackageError(f"{path}: manifest larger than {_MAX_MANIFEST} bytes")
        manifest = _verify(parse_json(archive.read(_MANIFEST), what="JSON"), directory, path)
    except (InputError, KeyError, TypeError, *_DAMAGED) as exc:
        archive.close()
        raise PackageError(f"{path}: malformed manifest ({exc})") from exc
    except BaseException:
        archive.close()
        raise
    return manifest, archive


def envelope_chunks(archive: zipfile.ZipFile) -> Iterator[bytes]:
    try:
        with archive.open(_ENVELOPE) as source:
            yield from iter(lambda: source.read(_BLOCK), b"")
    except _DAMAGED as exc:
        raise PackageError(f"{archive.filename}: the envelope cannot be read ({exc})") from exc


def _verify(signed: Any, directory: seal.Directory, path: Path) -> Manifest:
    party, body = verify_document(signed, directory, kind=KIND, where=str(path))
    if party != body.get("sender"):
        raise PackageError(f"{path}: signed by {party}, but names {body.get('sender')} as sender")
    envelope = body.get("envelope")
    if not isinstance(envelope, dict) or len(str(envelope.get("digest", ""))) != 64:
        raise PackageError(f"{path}: the manifest names no envelope digest")
    checked_body(_ManifestBody, body, where=f"{path}: manifest")
    return Manifest(body=body, signer_key_id=str(signed["signer_key_id"]))


class _Hop(BaseModel):
    to: str | None = None
    agreement: str | None = None


class _Decision(BaseModel):
    route: list[_Hop] = []


class _ManifestBody(BaseModel):
    """The fields of a manifest body that a receiver reads, with their types (others pass)."""

    package_id: Id
    sender: PartyCode
    recipient: PartyCode
    final_recipient: PartyCode | None = None
    item_id: Id
    created_at: str
    label: dict[str, Any]
    decision: _Decision = _Decision()
    approvals: list[dict[str, Any]] = []
