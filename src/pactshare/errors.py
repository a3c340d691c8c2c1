"""The one error root of pactshare.

Every error pactshare raises on purpose derives from :class:`PactshareError` and carries a
message a person can act on: what is wrong, where, and what to do. Foreign exceptions are
translated at the boundary (``raise ... from exc``) so that no library exception leaks.

::

    PactshareError
    ├── InputError                  a value given by a person or a tool is malformed
    ├── ScenarioError               an agreement or party file is malformed or inconsistent
    ├── PolicyError                 a decision cannot be made (unknown party, level, agreement)
    └── AuditIntegrityError         the audit log, a proof or a tree head fails verification
        ├── AuditEntryError         an audit entry is malformed (bad values, non-canonical bytes)
        ├── InvalidProofError       an inclusion or consistency proof does not verify
        ├── InvalidTreeHeadError    a tree head is malformed, or a signature on it does not verify
        └── LogTamperedError        stored entries or nodes differ from what signed heads commit to
"""

from __future__ import annotations

__all__ = [
    "AuditEntryError",
    "AuditIntegrityError",
    "InputError",
    "InvalidProofError",
    "InvalidTreeHeadError",
    "LogTamperedError",
    "PactshareError",
    "PolicyError",
    "ScenarioError",
]


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


class PolicyError(PactshareError):
    """A decision cannot be made: the request names something the registry does not know."""


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
