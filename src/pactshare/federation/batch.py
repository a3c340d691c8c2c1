"""Batched delivery: one signed request carries up to :data:`MAX_MESSAGES` messages to one
peer (kind ``batch``, sent only to a peer that announces it in its info).

The body (``application/vnd.pactshare.batch+json``, covered by the request's signature
through its digest) is ``{"messages": [member, …]}``, each member
``{"message_id", "from", "to", "content_type", "body"}``: a single message's id, its sender
and recipient party, its media type (a package or a signed document) and its body in
base64. The receiver handles each member exactly as the single message it stands for (same
checks, same idempotency by message id, same receipt) in the order given, and answers one
result per member, in the same order. What makes a whole batch unusable — not a batch, empty,
more than :data:`MAX_MESSAGES` members, a message id twice — refuses the whole request and
applies nothing; what is wrong with one member — a nested batch, another sender or
recipient, a body not base64 or over :data:`MAX_MEMBER` bytes — refuses that member only.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pactshare.errors import InputError, PackageError, TooLargeError
from pactshare.federation.inbound import BATCH_MEDIA, Inbound, Nonce, keep_nonce
from pactshare.limits import check_id, parse_json
from pactshare.node.service import Node

__all__ = ["MAX_BYTES", "MAX_MEMBER", "MAX_MESSAGES", "Outgoing", "apply", "encode", "members"]

MAX_MESSAGES = 100  # members of one batch
MAX_MEMBER = 1 << 20  # bytes of one member's body; a larger message goes alone
MAX_BYTES = 16 << 20  # the request body, base64 and all
_FIELDS = ("message_id", "from", "to", "content_type", "body")

#: A message to batch: its id, media type and body.
Outgoing = tuple[str, str, bytes]
#: How one member is answered: from its message id and the message (or why it is refused).
Answer = Callable[[str | None, Inbound | PackageError], dict[str, Any]]


def apply(node: Node, batch: Inbound, answer: Answer) -> dict[str, Any]:
    """Answer each member of ``batch`` in order, as if it came alone, and the batch with the
    answers, once every member's effect is committed: all in one transaction (what each
    single message would commit on its own is a savepoint of it), one sync for the batch.
    Raises :class:`PackageError` (or :class:`TooLargeError`) if the whole batch is refused."""
    try:
        listed = members(batch, party=node.party_code, folder=batch.body.parent)
    except PackageError:
        _keep(node, batch.nonce)  # refused unapplied: the request is still spent
        raise
    with node.db.atomic():
        _keep(node, batch.nonce)  # with the members' effects (a replay that got here first
        # is refused): the request's nonce, its messages carry none of their own
        results = [answer(ident, member) for ident, member in listed]
    return {"message_id": batch.message_id, "results": results}


def encode(sender: str, recipient: str, messages: Sequence[Outgoing]) -> bytes:
    """The body of a batch of ``messages`` from ``sender`` to ``recipient``."""
    return json.dumps(
        {
            "messages": [
                {
                    "message_id": ident,
                    "from": sender,
                    "to": recipient,
                    "content_type": media_type,
                    "body": base64.b64encode(body).decode("ascii"),
                }
                for ident, media_type, body in messages
            ]
        },
        separators=(",", ":"),
    ).encode("ascii")


def _keep(node: Node, nonce: Nonce | None) -> None:
    if nonce is not None:
        keep_nonce(node, nonce)


def members(
    batch: Inbound, *, party: str, folder: Path
) -> Iterator[tuple[str | None, Inbound | PackageError]]:
    """Each member of ``batch`` (received by ``party``) in order: its message id (None if it
    has none) and the single message to apply, written under ``folder``, or why that member
    is refused. Raises :class:`PackageError` (or :class:`TooLargeError`) if the whole batch
    is refused."""
    where = f"batch {batch.message_id}"
    if batch.body.stat().st_size > MAX_BYTES:
        raise TooLargeError(f"{where}: a batch is at most {MAX_BYTES} bytes")
    try:
        raw = parse_json(batch.body.read_bytes(), what=where)
    except InputError as exc:
        raise PackageError(str(exc)) from exc
    if (
        not isinstance(raw, dict)
        or list(raw) != ["messages"]
        or not isinstance(raw["messages"], list)
    ):
        raise PackageError(f"{where}: the body must be an object of one list, 'messages'")
    listed: list[Any] = raw["messages"]
    if not listed:
        raise PackageError(f"{where}: an empty batch")
    if len(listed) > MAX_MESSAGES:
        raise TooLargeError(
            f"{where}: {len(listed)} messages; a batch carries at most {MAX_MESSAGES}"
        )
    seen: dict[str, int] = {}
    for position, member in enumerate(listed):
        ident = _ident(member)
        if ident is not None and seen.setdefault(ident, position) != position:
            raise PackageError(
                f"{where}: messages[{position}] repeats message id {ident} of "
                f"messages[{seen[ident]}]"
            )
    return _each(batch, listed, party=party, folder=folder)


def _ident(member: object) -> str | None:
    ident = member.get("message_id") if isinstance(member, dict) else None
    return ident if isinstance(ident, str) else None


def _each(
    batch: Inbound, listed: list[Any], *, party: str, folder: Path
) -> Iterator[tuple[str | None, Inbound | PackageError]]:
    for position, member in enumerate(listed):
        where = f"batch {batch.message_id}, messages[{position}]"
        try:
            single = _member(batch, member, position, party=party, folder=folder, where=where)
        except PackageError as exc:
            yield _ident(member), exc
        else:
            yield single.message_id, single
            single.body.unlink()


def _member(
    batch: Inbound, member: object, position: int, *, party: str, folder: Path, where: str
) -> Inbound:
    if not isinstance(member, dict) or sorted(member) != sorted(_FIELDS):
        raise PackageError(f"{where}: a member is an object of exactly {', '.join(_FIELDS)}")
    try:
        ident = check_id(member["message_id"], what=f"{where}: message_id")
    except InputError as exc:
        raise PackageError(str(exc)) from exc
    media_type, sender, recipient = member["content_type"], member["from"], member["to"]
    if media_type == BATCH_MEDIA:
        raise PackageError(f"{where}: a batch cannot carry a batch")
    if not isinstance(media_type, str):
        raise PackageError(f"{where}: content_type must be a string")
    if sender != batch.sender:
        raise PackageError(f"{where}: from {sender!r}, in a batch sent by {batch.sender}")
    if recipient != party:
        raise PackageError(f"{where}: for {recipient!r}, not for {party}")
    text, too_large = member["body"], f"{where}: a body of more than {MAX_MEMBER} bytes"
    if not isinstance(text, str):
        raise PackageError(f"{where}: the body must be a base64 string")
    if len(text) > 4 * -(-MAX_MEMBER // 3):
        raise TooLargeError(too_large)
    try:
        body = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PackageError(f"{where}: the body is not base64 ({exc})") from exc
    if len(body) > MAX_MEMBER:
        raise TooLargeError(too_large)
    path = folder / f"message-{position}"
    path.write_bytes(body)
    return Inbound(sender, ident, media_type, path, batch.created)
