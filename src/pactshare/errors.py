"""The one error root of pactshare.

Every error pactshare raises on purpose derives from :class:`PactshareError` and carries a
message a person can act on: what is wrong, where, and what to do. Foreign exceptions are
translated at the boundary (``raise ... from exc``) so that no library exception leaks.

::

    PactshareError
    ├── InputError              a value given by a person or a tool is malformed
    ├── ScenarioError           an agreement or party file is malformed or inconsistent
    ├── PolicyError             a decision cannot be made (unknown party, level, agreement)
    ├── NodeError               a node cannot do what was asked (not a node, unknown item…)
    └── StorageError            the node's database or object store cannot do what was asked
"""

from __future__ import annotations

__all__ = [
    "InputError",
    "NodeError",
    "PactshareError",
    "PolicyError",
    "ScenarioError",
    "StorageError",
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


class StorageError(PactshareError):
    """The node's database or object store failed; nothing of the unit of work was kept."""


class NodeError(PactshareError):
    """A node cannot do what was asked: no node at that home, an unknown item or person."""
