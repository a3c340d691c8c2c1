"""Asking witnesses what they cosigned: the check of a log that its operator cannot fake.

An operator can rewrite every row and file of their own node — entries, heads re-signed with
the node's key, the cosignatures kept — but not what the peers hold. Each witness keeps the
heads of our log it cosigned (:mod:`pactshare.federation.witness`); asked, it answers with the
latest one, in a signed ``cosigned-head`` document. ``pactshare audit verify --with-peers``
checks the local log against every answer (:func:`pactshare.node.journal.verify`): a witness's
head larger than the log means the log was rolled back, another root at its size that it was
rewritten.

The query is ``POST /federation/v1/cosigned-head``, signed as every federation request is
(RFC 9421, :mod:`pactshare.federation.signatures`), with the JSON body
``{"log": PARTY, "challenge": 64 hex digits}``. Any pinned party may ask about any log (heads
are not secret: witnesses gossip them). The answer's body is
``{"witness", "log", "asked_by", "challenge", "head"}``, ``head`` being the head with the
witness's cosignature, or null if it never cosigned one. The fresh challenge binds the answer
to the question, so an older answer cannot be replayed to hide a later head.

Whom to trust is the inspector's choice: the peers' URLs and the directory of public keys may
be the node's own (its ``peers`` table, its pinned directory) or, so that an inspector does
not depend on the node they inspect, their own (``--peer PARTY=URL``, ``--directory DIR``).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from pactshare import audit, seal
from pactshare.errors import PackageError, PactshareError
from pactshare.federation.messages import (
    COSIGNED_HEAD,
    CosignedHeadAnswer,
    CosignedHeadQuery,
)
from pactshare.federation.signatures import MESSAGE_ID, content_digest, signing_headers
from pactshare.federation.storage.witnessing import latest_direct_head
from pactshare.node import journal
from pactshare.node.clock import real_time
from pactshare.node.documents import sign_document, verify_document
from pactshare.node.service import Node

__all__ = ["COSIGNED_HEAD", "MAX_QUERY", "QUERY_PATH", "PeerHead", "answer_query", "ask_peers"]

QUERY_PATH = "/federation/v1/cosigned-head"
MAX_QUERY = 1024  # bytes: a query is two short strings
MAX_ANSWER = 64 << 10  # bytes: an answer is one signed head with a few cosignatures
_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass(frozen=True, slots=True)
class PeerHead:
    """What one witness answered: the latest head of our log it cosigned (None if none), or
    why its answer could not be had or trusted (``error``)."""

    party: str
    url: str
    head: audit.SignedTreeHead | None = None
    error: str | None = None


# --- the witness's side ---------------------------------------------------------------------


def answer_query(node: Node, asker: str, body: bytes) -> dict[str, Any]:
    """The signed ``cosigned-head`` answer to ``asker``'s query ``body`` (see the module).

    A malformed query is a :class:`~pactshare.errors.PackageError` naming what is wrong.
    """
    where = f"query from {asker}"
    try:
        query = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise PackageError(f"{where}: not JSON ({type(exc).__name__})") from exc
    question = CosignedHeadQuery.from_dict(query, where)
    with node.db.atomic() as tx:
        head = latest_direct_head(tx, question.log)
    answer = CosignedHeadAnswer(node.party_code, question.log, asker, question.challenge, head)
    return sign_document(COSIGNED_HEAD, answer.to_dict(), node.keys)


# --- the inspector's side -------------------------------------------------------------------


def ask_peers(
    node: Node,
    peers: Mapping[str, str],
    directory: seal.Directory,
    *,
    client: httpx.Client | None = None,
) -> list[PeerHead]:
    """Ask each witness in ``peers`` (party → base URL) for the latest head of our log it
    cosigned; answers are trusted only as ``directory`` says (signature, cosignature)."""
    own = client is None
    http = client or httpx.Client(timeout=_TIMEOUT)
    try:
        return [_ask(node, http, party, url, directory) for party, url in sorted(peers.items())]
    finally:
        if own:
            http.close()


def _ask(
    node: Node, http: httpx.Client, party: str, url: str, directory: seal.Directory
) -> PeerHead:
    challenge = secrets.token_hex(32)
    body = json.dumps(CosignedHeadQuery(node.party_code, challenge).to_dict()).encode()
    headers = {
        "content-type": "application/json",
        "content-digest": content_digest([body]),
        MESSAGE_ID: uuid.uuid4().hex,
    }
    signed = signing_headers(
        node.keys, "POST", QUERY_PATH, headers, recipient=party, created=int(real_time())
    )
    try:
        with http.stream(
            "POST", url.rstrip("/") + QUERY_PATH, content=body, headers=signed
        ) as answer:
            status, data = answer.status_code, _bounded(answer)
    except httpx.HTTPError as exc:
        return PeerHead(party, url, error=f"{party} at {url} cannot be reached ({exc})")
    if status != 200:
        return PeerHead(party, url, error=f"{party} answered {status}")
    try:
        if data is None:
            raise PackageError(f"larger than {MAX_ANSWER} bytes")
        head = _check_answer(node, party, json.loads(data), challenge, directory)
    except (ValueError, RecursionError, PactshareError) as exc:
        return PeerHead(party, url, error=f"{party}'s answer is not to be trusted: {exc}")
    return PeerHead(party, url, head=head)


def _bounded(answer: httpx.Response) -> bytes | None:
    """The answer's body, or None if it runs past :data:`MAX_ANSWER` bytes (a hostile peer
    does not fill our memory)."""
    data = bytearray()
    for chunk in answer.iter_bytes():
        data += chunk
        if len(data) > MAX_ANSWER:
            return None
    return bytes(data)


def _check_answer(
    node: Node, party: str, document: object, challenge: str, directory: seal.Directory
) -> audit.SignedTreeHead | None:
    where = f"{party}'s answer"
    if not isinstance(document, dict):
        raise PackageError(f"{where}: not a signed document")
    signer, body = verify_document(document, directory, kind=COSIGNED_HEAD, where=where)
    expected = (party, node.party_code, node.party_code, challenge)
    if (
        signer != party
        or (
            body.get("witness"),
            body.get("log"),
            body.get("asked_by"),
            body.get("challenge"),
        )
        != expected
    ):
        raise PackageError(f"{where}: signed by {signer}, not {party}'s answer to our question")
    head = CosignedHeadAnswer.from_dict(body, where).head
    if head is None:
        return None
    if not journal.cosigned_by(head, party, directory):
        raise PackageError(f"{where}: the head at size {head.size} carries no cosignature by it")
    return head
