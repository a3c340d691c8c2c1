"""The transfer package: a sealed envelope with its signed manifest, for the network or for
hand carriage by courier (the path real exchanges still use).

A package is a ZIP archive holding exactly ``manifest.json`` and ``envelope.psx``. The
manifest names the package, sender, recipient, item, envelope digest and the sender's
decision; it is a signed document of kind ``transfer-package`` (see :mod:`.documents`).

What a package may expand to is bounded by what its sender signed: the envelope entry must
declare exactly the manifest's envelope size, its bytes are refused before one more than that
is read, and since an envelope is ciphertext (which does not compress) an entry that claims to
expand more than :data:`MAX_EXPANSION` times its stored bytes is refused before any is read.
"""

from __future__ import annotations

import io
import json
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

from pactshare import seal
from pactshare.errors import InputError, PackageError
from pactshare.files import atomic_output
from pactshare.limits import BLOCK, blocks, parse_json
from pactshare.node.documents import Id, PartyCode, checked_body, sign_document, verify_document

__all__ = [
    "KIND",
    "MAX_EXPANSION",
    "Manifest",
    "envelope_chunks",
    "package_bytes",
    "read_manifest",
    "sign_manifest",
    "write_package",
]

KIND = "transfer-package"
_MANIFEST, _ENVELOPE = "manifest.json", "envelope.psx"
_MAX_MANIFEST = 1 << 20
MAX_EXPANSION = 2  # ciphertext does not compress: a legitimate entry stays near 1
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ENCRYPTED = 0x1  # general purpose bit 0: the entry is encrypted
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

    @property
    def envelope_size(self) -> int:
        return int(self.body["envelope"]["size"])


def sign_manifest(body: dict[str, Any], keys: seal.PartyKeys) -> dict[str, Any]:
    return sign_document(KIND, body, keys)


def write_package(path: Path, signed_manifest: dict[str, Any], envelope: Iterator[bytes]) -> None:
    """Write the package atomically (a temporary file renamed into place)."""
    with atomic_output(path) as out:
        _write_archive(out, signed_manifest, envelope)


def package_bytes(signed_manifest: dict[str, Any], envelope: Iterator[bytes]) -> bytes:
    """The package in memory (a request's body: nothing to keep, so nothing to sync)."""
    buffer = io.BytesIO()
    _write_archive(buffer, signed_manifest, envelope)
    return buffer.getvalue()


def _write_archive(
    out: IO[bytes], signed_manifest: dict[str, Any], envelope: Iterator[bytes]
) -> None:
    """Write the package's ZIP archive to ``out``."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_MANIFEST, json.dumps(signed_manifest, ensure_ascii=False, indent=2))
        with archive.open(_ENVELOPE, "w", force_zip64=True) as entry:
            for chunk in envelope:
                entry.write(chunk)


def read_manifest(
    path: Path, directory: seal.Directory, *, source: str | None = None
) -> tuple[Manifest, zipfile.ZipFile]:
    """Open a package and verify its manifest's signature against the pinned directory.

    Returns the verified manifest and the open archive (the caller reads the envelope from
    it with :func:`envelope_chunks` and must close it). Errors name the package ``source``
    (default: its path; a peer's message is named by its id, never by our temporary file).
    """
    name = source or str(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or a device would block or never end
            raise PackageError(f"{name}: not a transfer package (not a regular file)")
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageError(f"{name}: not a transfer package ({exc})") from exc
    try:
        names = sorted(archive.namelist())
        if names != sorted((_MANIFEST, _ENVELOPE)):
            raise PackageError(f"{name}: expected {_MANIFEST} and {_ENVELOPE}, found {names}")
        if archive.getinfo(_MANIFEST).file_size > _MAX_MANIFEST:
            raise PackageError(f"{name}: manifest larger than {_MAX_MANIFEST} bytes")
        manifest = _verify(parse_json(archive.read(_MANIFEST), what="JSON"), directory, name)
    except (InputError, KeyError, TypeError, *_DAMAGED) as exc:
        archive.close()
        raise PackageError(f"{name}: malformed manifest ({exc})") from exc
    except BaseException:
        archive.close()
        raise
    return manifest, archive


def envelope_chunks(archive: zipfile.ZipFile, manifest: Manifest, *, where: str) -> Iterator[bytes]:
    """The envelope's bytes, never more than the manifest's declared size.

    Refused before any byte is read if the entry declares another size, uses another method
    than stored or deflated, or would expand beyond :data:`MAX_EXPANSION` times its stored
    bytes; refused before yielding a block that would pass the declared size.
    """
    size = manifest.envelope_size
    entry = archive.getinfo(_ENVELOPE)
    if entry.compress_type not in _METHODS or entry.flag_bits & _ENCRYPTED:
        raise PackageError(f"{where}: {_ENVELOPE} is neither stored nor deflated")
    if entry.file_size != size:
        raise PackageError(
            f"{where}: {_ENVELOPE} expands to {entry.file_size} bytes; the manifest declares {size}"
        )
    if size > MAX_EXPANSION * entry.compress_size + BLOCK:
        raise PackageError(
            f"{where}: {_ENVELOPE} would expand {entry.compress_size} bytes to {size};"
            " an envelope does not compress"
        )
    read = 0
    try:
        with archive.open(entry) as source:
            for block in blocks(source):
                read += len(block)
                if read > size:
                    raise PackageError(f"{where}: {_ENVELOPE} holds more than {size} bytes")
                yield block
    except _DAMAGED as exc:
        raise PackageError(f"{where}: {_ENVELOPE} cannot be read ({exc})") from exc
    if read != size:
        raise PackageError(f"{where}: {_ENVELOPE} holds {read} bytes, not {size}")


def _verify(signed: Any, directory: seal.Directory, name: str) -> Manifest:
    party, body = verify_document(signed, directory, kind=KIND, where=name)
    if party != body.get("sender"):
        raise PackageError(f"{name}: signed by {party}, but names {body.get('sender')} as sender")
    envelope = body.get("envelope")
    if not isinstance(envelope, dict) or len(str(envelope.get("digest", ""))) != 64:
        raise PackageError(f"{name}: the manifest names no envelope digest")
    size = envelope.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise PackageError(f"{name}: the manifest declares no envelope size")
    checked_body(_ManifestBody, body, where=f"{name}: manifest")
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
