"""The one error root of pactshare.

Every error pactshare raises on purpose derives from :class:`PactshareError` and carries a
message a person can act on: what is wrong, where, and what to do. Foreign exceptions are
translated at the boundary (``raise ... from exc``) so that no library exception leaks: a
failed check of a library (a signature, an authentication tag, a transport) goes through
:func:`translated`, whose one table, :data:`FOREIGN`, names the exceptions it translates.
Outside this tree stand only the ``ValueError``/``TypeError`` a library asks its hooks to
raise (pydantic validators, JSON parser hooks; the library wraps them, and we translate
that) and the few cases ``tests/unit/test_errors.py`` lists with their reasons.

::

    PactshareError
    ├── InputError              a value given by a person or a tool is malformed
    │   └── LabelError          a security label (file or value) is malformed
    ├── ScenarioError           an agreement or party file is malformed or inconsistent
    ├── InvariantError          a value of the domain breaks one of its own invariants
    │   └── AgreementInvalid    an agreement breaks one of its invariants (domain.agreements)
    ├── PolicyError             a decision cannot be made (unknown party, level, agreement)
    ├── ProofsUnavailableError  the proofs' solver (z3, the proofs extra) is missing (proofs)
    ├── NodeError               a node cannot do what was asked (not a node, unknown item…)
    │   ├── NotFoundError       no such item, person, approval or incident (or none to see)
    │   ├── PackageError        a transfer package is malformed or not signed by its sender
    │   │   └── TooLargeError   a message or a batch larger than the receiver takes (413)
    │   └── RefusedError        the agreements (or access rules) do not allow it: exit code 1
    ├── StorageError            the node's database or object store cannot do what was asked
    ├── AuditIntegrityError     the audit log, a proof or a tree head fails verification
    │   ├── AuditEntryError     an audit entry is malformed (bad values, non-canonical bytes)
    │   ├── InvalidProofError   an inclusion or consistency proof does not verify
    │   ├── InvalidTreeHeadError  a tree head is malformed, or a signature on it does not verify
    │   ├── ForkDetectedError   a peer's log showed two histories (split view); evidence kept
    │   └── LogTamperedError    stored entries or nodes differ from what signed heads commit to
    ├── EnvelopeError           a sealed envelope cannot be made, read or trusted
    │   ├── EnvelopeMalformedError   the bytes are not a well-formed envelope
    │   │   └── EnvelopeVersionError   a format version this build cannot read
    │   ├── EnvelopeUnverifiedError  authentication failed: altered, reordered, truncated, replayed
    │   │   │                   or not signed by the party it names
    │   │   └── EnvelopeReplayedError             an envelope already opened is presented again
    │   └── EnvelopeKeyError    no usable key: not a recipient, unknown key id, bad key files
    ├── FederationError         a peer's request or answer cannot be trusted or used
    │   ├── SignatureError      a request not signed as the federation requires (signatures)
    │   ├── UnknownInfoError    what a peer speaks is unknown for now: retry later (versions)
    │   ├── _RetryError         a delivery attempt failed: try again later (delivery, private)
    │   └── _RefusedError       the receiver refused a message for good (delivery, private)
    └── ProblemError            an HTTP answer with its own status and title (api.problems)

Classes drawn with a module in parentheses live there, next to the code that raises them;
the others live here. A test keeps this drawing and the classes the same.

Envelope errors are deliberately terse about *why* authentication failed (like
``cryptography``'s single ``InvalidTag``): they say which part failed, never what a valid
value would have been.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "FOREIGN",
    "AuditEntryError",
    "AuditIntegrityError",
    "EnvelopeError",
    "EnvelopeKeyError",
    "EnvelopeMalformedError",
    "EnvelopeReplayedError",
    "EnvelopeUnverifiedError",
    "EnvelopeVersionError",
    "FederationError",
    "ForkDetectedError",
    "InputError",
    "InvalidProofError",
    "InvalidTreeHeadError",
    "InvariantError",
    "LabelError",
    "LogTamperedError",
    "NodeError",
    "NotFoundError",
    "PackageError",
    "PactshareError",
    "PolicyError",
    "RefusedError",
    "ScenarioError",
    "StorageError",
    "TooLargeError",
    "translated",
]

# The foreign exceptions :func:`translated` turns into ours: what a library raises when the
# check it was asked to make fails. Named by module, not imported, so that this module stays
# a leaf that every layer (and the CLI's start-up) imports for free.
FOREIGN: tuple[tuple[str, str], ...] = (
    ("cryptography.exceptions", "InvalidSignature"),  # an Ed25519 signature does not verify
    ("cryptography.exceptions", "InvalidTag"),  # AES-GCM or HPKE authentication failed
    ("httpx", "HTTPError"),  # a peer cannot be reached, or its answer cannot be read
)


class PactshareError(Exception):
    """Root of every error pactshare raises on purpose."""


class InputError(PactshareError):
    """A value given on the command line, in a request or in a file is malformed."""


class ScenarioError(PactshareError):
    """An agreement or party file is malformed or inconsistent.

    The message names the file, the key path inside it and what is wrong.
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        where = ": ".join(part for part in (file, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class InvariantError(PactshareError):
    """A value of the domain breaks one of its own invariants: a level, a scheme, an
    agreement and its terms, an event, an approval, a topic path.

    ``key`` names the field at fault, relative to the value, when there is one; the scenario
    loader places the error in its file and key path (a :class:`ScenarioError`).
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        self.key = key
        super().__init__(message)


class PolicyError(PactshareError):
    """A decision cannot be made: the request names something the registry does not know."""


class StorageError(PactshareError):
    """The node's database or object store failed; nothing of the unit of work was kept."""


class NodeError(PactshareError):
    """A node cannot do what was asked: no node at that home, an unknown item or person."""


class NotFoundError(NodeError):
    """No such item, person, approval or incident on this node, or none the caller may see.

    Over HTTP this is 404 whether the thing is absent or hidden from the caller (no leak).
    """


class LabelError(InputError):
    """A security label is malformed: a missing, unknown or ill-typed field.

    The message names the file (when the label came from one) and the field.
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        where = ": ".join(part for part in (file, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class EnvelopeError(PactshareError):
    """A sealed envelope cannot be made, read or trusted."""


class EnvelopeMalformedError(EnvelopeError):
    """The bytes are not a well-formed envelope (bad magic, framing, header or trailer)."""


class EnvelopeVersionError(EnvelopeMalformedError):
    """The envelope declares a format version this build cannot read."""

    def __init__(self, message: str, *, version: int) -> None:
        self.version = version
        super().__init__(message)


class EnvelopeUnverifiedError(EnvelopeError):
    """Authentication failed: the envelope was altered, reordered, truncated or replayed,
    or it is not signed by the party it names. No plaintext of it may be trusted."""


class EnvelopeReplayedError(EnvelopeUnverifiedError):
    """An envelope whose id was already opened is presented again."""


class EnvelopeKeyError(EnvelopeError):
    """No usable key: the envelope is not addressed to us, a key id is not in the pinned
    directory, or a key file is missing, unreadable or locked with another passphrase."""


class PackageError(NodeError):
    """A transfer package is malformed, altered, or not signed by the sender it names."""


class TooLargeError(PackageError):
    """A message, or a batch of them, larger than the receiver takes (HTTP 413)."""


class RefusedError(NodeError):
    """What was asked is refused by the agreements or the access rules; the reasons are given.

    Not an input error: the CLI exits 1, as ``check`` does for a refusal.
    """

    def __init__(self, message: str, *, reasons: tuple[str, ...] = ()) -> None:
        self.reasons = reasons
        super().__init__(message)


class FederationError(PactshareError):
    """A peer's request or answer cannot be trusted or used: unsigned, unknown for now, or
    refused. The classes under it live with the federation code that raises them."""


class AuditIntegrityError(PactshareError):
    """The audit log, a proof or a tree head does not verify.

    Raised by the pure functions of :mod:`pactshare.audit`; the message says what failed and,
    where it can be known, at which entry position or tree size.
    """


class AuditEntryError(AuditIntegrityError):
    """An audit entry is malformed: built from values it cannot hold, or read from bytes that
    are not the canonical encoding of an entry."""


class LogTamperedError(AuditIntegrityError):
    """Stored entries or stored tree nodes differ from what the signed tree heads commit to.

    ``position`` is the first entry index where the log diverges, when it can be known.
    """

    def __init__(self, message: str, *, position: int | None = None) -> None:
        self.position = position
        super().__init__(message)


class InvalidProofError(AuditIntegrityError):
    """An inclusion or consistency proof does not verify against the given root(s)."""


class InvalidTreeHeadError(AuditIntegrityError):
    """A tree head is malformed, or its signature or a cosignature on it does not verify.

    Signature failures say which head and which key, never why the signature is wrong.
    """


class ForkDetectedError(AuditIntegrityError):
    """A peer's log showed two histories that cannot both be true: two signed heads of the
    same size with different roots, or a head that does not extend one already witnessed.

    ``party`` is the party whose log forked; ``evidence`` holds both signed heads (JSON), so
    that anyone holding the party's public key can check the fork without trusting us.
    """

    def __init__(self, message: str, *, party: str, evidence: dict[str, Any]) -> None:
        self.party = party
        self.evidence = evidence
        super().__init__(message)


def _is_foreign(exc: Exception) -> bool:
    """Whether ``exc`` is one of :data:`FOREIGN` (a module not loaded raised none of them)."""
    for module, name in FOREIGN:
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(exc, getattr(loaded, name)):
            return True
    return False


@contextmanager
def translated(
    into: Callable[[str], PactshareError], message: str | Callable[[Exception], str]
) -> Iterator[None]:
    """Raise a foreign exception of the block (one of :data:`FOREIGN`) as ``into(message)``,
    the library's exception kept as the cause; anything else, a bug, goes through unchanged.

    ``message`` says what failed, where (a text, or a function of the library's exception);
    for security checks it stays terse, as :class:`EnvelopeError` explains.
    """
    try:
        yield
    except Exception as exc:
        if not _is_foreign(exc):
            raise
        raise into(message(exc) if callable(message) else message) from exc
