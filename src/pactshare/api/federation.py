"""``POST /federation/v1/messages``: the one endpoint peers use, for every kind of message;
``GET /federation/v1/info``: what this node speaks, signed (see
:mod:`pactshare.federation.versions`); ``POST /federation/v1/cosigned-head``: a signed query
that changes nothing (see :mod:`pactshare.federation.attestation`).

The signature is checked before the body is read (an unsigned or stale request costs us
nothing), the body is streamed to a temporary file under a size limit and its digest checked
against the signed ``Content-Digest``, then the message is applied once. Answers: 200 with
the signed receipt; 400 malformed; 401 unsigned or badly signed, stale, replayed or
signed for another node; 413 too
large; 415 neither a package nor a document; 422 refused by this node's agreements. A batch
(:mod:`pactshare.federation.batch`) is answered 200 with one such answer per message.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from pactshare.api.problems import ProblemError, problem_document
from pactshare.defaults import DEFAULT_MAX_BODY  # set app.state.federation_max_body to change it
from pactshare.errors import PackageError, PactshareError, TooLargeError
from pactshare.federation import batch
from pactshare.federation.attestation import MAX_QUERY, QUERY_PATH, answer_query
from pactshare.federation.delivery import PATH
from pactshare.federation.inbound import (
    BATCH_MEDIA,
    JSON,
    ZIP,
    Inbound,
    Nonce,
    accept,
    keep_nonce,
)
from pactshare.federation.signatures import (
    NONCE_WINDOW,
    SignatureError,
    SignedRequest,
    digest_matches,
    verify_request,
)
from pactshare.federation.storage import nonce_seen
from pactshare.federation.versions import INFO_PATH, NONCE_PATTERN, own_info
from pactshare.node.clock import real_now, real_time
from pactshare.node.service import Node

__all__ = ["DEFAULT_MAX_BODY", "router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["federation"])


def _verify(node: Node, request: Request) -> SignedRequest:
    """Check the request's signature, and that its nonce was not seen (it is kept with what
    the request does: :func:`_nonce`)."""
    try:
        return verify_request(
            request.method,
            request.url.path,
            dict(request.headers),
            node.directory,
            recipient=node.party_code,
            now=real_time(),
            fresh_nonce=lambda nonce, _key_id: (
                not nonce_seen(node, nonce, now=real_now(), window=NONCE_WINDOW)
            ),
        )
    except SignatureError as exc:
        raise _unauthenticated(exc) from exc


def _unauthenticated(exc: SignatureError) -> ProblemError:
    log.warning("federation request refused", extra={"status": exc.status, "reason": str(exc)})
    title = "Unauthenticated" if exc.status == 401 else "Bad signature"
    return ProblemError(exc.status, title, str(exc), headers={"WWW-Authenticate": "Signature"})


def _nonce(signed: SignedRequest) -> Nonce:
    return Nonce(signed.nonce, signed.key_id, real_now())


def _keep(node: Node, nonce: Nonce) -> None:
    """Keep the nonce of a request that writes nothing else (or was refused unapplied)."""
    try:
        keep_nonce(node, nonce)
    except SignatureError as exc:  # a replay that reached the database first
        raise _unauthenticated(exc) from exc


async def _spool(request: Request, target: Path, limit: int) -> bytes:
    """Stream the body to ``target`` (at most ``limit`` bytes); return its SHA-256."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ProblemError(413, "Too large", f"a message is at most {limit} bytes")
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ProblemError(413, "Too large", f"a message is at most {limit} bytes")
            digest.update(chunk)
            out.write(chunk)
    return digest.digest()


def _signed_request(*media_types: str) -> dict[str, Any]:
    """The OpenAPI description of a peer's signed request: its headers and body."""
    header = {"in": "header", "required": True, "schema": {"type": "string"}}
    return {
        "parameters": [
            {
                **header,
                "name": "signature-input",
                "description": "RFC 9421: label `pactshare`, "
                "covering exactly `@method` `@path` `content-digest` `content-type` "
                "`pactshare-message-id` `pactshare-recipient`, with `created`, `nonce`, `keyid` "
                'and `alg="ed25519"` (docs/federation.md)',
            },
            {
                **header,
                "name": "signature",
                "description": "RFC 9421 Ed25519 signature, "
                "by the key of the sending party pinned in this node's directory",
            },
            {**header, "name": "content-digest", "description": "RFC 9530 `sha-256` of the body"},
            {
                **header,
                "name": "pactshare-message-id",
                "description": "The message's id: "
                "applied once, answered the same way if sent again",
            },
            {
                **header,
                "name": "pactshare-recipient",
                "description": "The party code of the "
                "node meant to receive it (a request signed for another node is refused, 401)",
            },
        ],
        "requestBody": {
            "required": True,
            "content": {
                media_type: {
                    "schema": {"type": "string", "format": "binary"}
                    if media_type == ZIP
                    else {
                        "type": "object",
                        "description": "a signed document ({kind, body, signer_key_id, signature})"
                        if media_type == JSON
                        else "a batch: {messages: [{message_id, from, to, content_type, "
                        "body (base64)}]}, each answered as if sent alone (docs/federation.md)",
                    }
                }
                for media_type in media_types
            },
        },
    }


@router.post(
    PATH,
    summary="Receive a signed message from a peer node (items, consents, notes, notices)",
    responses={
        400: {"description": "Malformed message"},
        401: {"description": "Unsigned, badly signed, stale, replayed or for another node"},
        413: {"description": "Too large"},
        415: {"description": "Neither a transfer package nor a signed document"},
        409: {
            "description": "A fork: a tree head that contradicts one this node cosigned "
            "(the evidence is kept)"
        },
        422: {"description": "Refused by this node's agreements"},
    },
    openapi_extra=_signed_request(ZIP, JSON, BATCH_MEDIA),
)
async def receive_message(request: Request) -> dict[str, Any]:
    """Verify the RFC 9421 signature, then the body's digest, then apply the message once (in
    one transaction with the request's nonce)."""
    node: Node = request.app.state.node
    signed = await run_in_threadpool(_verify, node, request)
    nonce = _nonce(signed)
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    limit = int(getattr(request.app.state, "federation_max_body", DEFAULT_MAX_BODY))
    if media_type == BATCH_MEDIA:
        limit = min(limit, batch.MAX_BYTES)
    with tempfile.TemporaryDirectory(prefix="inbound-", dir=node.home.root) as folder:
        body = Path(folder) / "body"
        try:
            if media_type not in (ZIP, JSON, BATCH_MEDIA):
                raise ProblemError(
                    415, "Unsupported media type", f"send {ZIP}, {JSON} or {BATCH_MEDIA}"
                )
            sha256 = await _spool(request, body, limit)
            if not digest_matches(signed.content_digest, sha256):
                raise ProblemError(400, "Digest mismatch", "the body does not match Content-Digest")
        except ProblemError:
            await run_in_threadpool(_keep, node, nonce)
            raise
        created = datetime.fromtimestamp(signed.created, UTC)
        message = Inbound(signed.party, signed.message_id, media_type, body, created, nonce)
        apply = _batch if media_type == BATCH_MEDIA else _single
        try:
            answer = await run_in_threadpool(apply, request, node, message)
        except SignatureError as exc:  # a replay that reached the transaction first
            raise _unauthenticated(exc) from exc
        except PactshareError as exc:
            log.warning(
                "message refused",
                extra={"message_id": signed.message_id, "from": signed.party, "reason": str(exc)},
            )
            if isinstance(exc, PackageError) and not isinstance(exc, TooLargeError):
                raise ProblemError(400, "Malformed message", str(exc)) from exc
            raise
    worker = getattr(request.app.state, "delivery_worker", None)
    if worker is not None:
        worker.notify()  # a hub may have queued a consent request
    return answer


def _single(_request: Request, node: Node, message: Inbound) -> dict[str, Any]:
    return accept(node, message)


def _batch(request: Request, node: Node, message: Inbound) -> dict[str, Any]:
    """Each message of the batch applied as if sent alone, in order; one answer each."""

    def answer(ident: str | None, member: Inbound | PactshareError) -> dict[str, Any]:
        try:
            if isinstance(member, PactshareError):
                raise member
            answered = accept(node, member)
        except Exception as exc:  # answered as if sent alone; the others go on
            if isinstance(exc, PactshareError):
                log.warning(
                    "message refused",
                    extra={"message_id": ident, "from": message.sender, "reason": str(exc)},
                )
            else:
                log.exception("unexpected error on a message of batch %s", message.message_id)
            problem = problem_document(request, exc)
            return {"message_id": ident, "status": problem["status"], "problem": problem}
        return {"message_id": ident, "status": 200, "answer": answered}

    return batch.apply(node, message, answer)


@router.get(
    INFO_PATH,
    summary="What this node speaks: protocol version, message kinds, envelope versions, "
    "signature profile (a node-info document signed with the node's key)",
    responses={422: {"description": "A nonce that is not 16 to 128 URL-safe characters"}},
)
def node_info(
    request: Request,
    nonce: Annotated[
        str | None,
        Query(pattern=NONCE_PATTERN, description="Signed back in the answer (freshness)."),
    ] = None,
) -> dict[str, Any]:
    """Anyone may ask (it tells nothing a peer could not learn by sending): peers verify the
    answer against their pinned copy of this node's key."""
    node: Node = request.app.state.node
    return own_info(node, nonce=nonce, now=real_now())


@router.post(
    QUERY_PATH,
    summary="The latest head of a party's log this node cosigned, in a signed answer",
    responses={
        400: {"description": "Malformed query"},
        401: {"description": "Unsigned, badly signed, stale or replayed"},
        413: {"description": "Too large"},
        415: {"description": "Not JSON"},
    },
    openapi_extra=_signed_request(JSON),
)
async def cosigned_head(request: Request) -> dict[str, Any]:
    """Verify the RFC 9421 signature and the body's digest, then answer the query (nothing
    is written but the request's nonce); see :mod:`pactshare.federation.attestation`."""
    node: Node = request.app.state.node
    signed = await run_in_threadpool(_verify, node, request)
    await run_in_threadpool(_keep, node, _nonce(signed))
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != JSON:
        raise ProblemError(415, "Unsupported media type", f"send {JSON}")
    with tempfile.TemporaryDirectory(prefix="query-", dir=node.home.root) as folder:
        path = Path(folder) / "body"
        sha256 = await _spool(request, path, MAX_QUERY)
        if not digest_matches(signed.content_digest, sha256):
            raise ProblemError(400, "Digest mismatch", "the body does not match Content-Digest")
        body = path.read_bytes()
    try:
        return await run_in_threadpool(answer_query, node, signed.party, body)
    except PackageError as exc:
        raise ProblemError(400, "Malformed query", str(exc)) from exc
