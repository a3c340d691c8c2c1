"""What verifying a log found, as data: each problem's kind and place, and the report.

A report is not an exception: :func:`~pactshare.audit.verify.verify_log` returns it whole, so
that a person sees every problem, and :meth:`VerifyReport.raise_for_problems` turns the
first into :class:`~pactshare.errors.LogTamperedError` where a caller must stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pactshare.errors import LogTamperedError

__all__ = ["Problem", "ProblemKind", "VerifyReport", "problem_order"]


class ProblemKind(StrEnum):
    """What is wrong, as far as the evidence tells."""

    CHANGED = "changed"  # one entry's bytes differ from what was appended
    REMOVED = "removed"  # an entry (or the tail) is missing
    INSERTED = "inserted"  # an entry was added that the log did not append
    REORDERED = "reordered"  # two entries swapped places
    DIVERGED = "diverged"  # entries differ from a signed head; how cannot be told
    NODE_CHANGED = "node-changed"  # a stored node differs while the entries are authentic
    NODE_MISSING = "node-missing"  # a perfect node the log must have stored is absent
    BAD_SIGNATURE = "bad-signature"  # a tree head's signature does not verify
    HEAD_CONFLICT = "head-conflict"  # two validly signed heads contradict each other
    UNCOVERED = "uncovered"  # entries after the last signed head (not yet committed)


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: its kind, where, and a message a person can act on.

    ``position`` is the first entry index concerned; when the evidence only bounds it,
    ``last_position`` is the last index it can be. ``head`` is the index, in the sequence of
    heads given, of the head concerned.
    """

    kind: ProblemKind
    message: str
    position: int | None = None
    last_position: int | None = None
    head: int | None = None

    @property
    def fatal(self) -> bool:
        """Everything but entries awaiting their first signed head is a failure."""
        return self.kind is not ProblemKind.UNCOVERED


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of :func:`verify_log`."""

    size: int
    root: bytes
    heads_verified: int
    covered: int
    problems: tuple[Problem, ...]

    @property
    def failures(self) -> tuple[Problem, ...]:
        """The fatal problems (all but entries not yet covered by a signed head), as found."""
        return tuple(problem for problem in self.problems if problem.fatal)

    @property
    def ok(self) -> bool:
        """No problem other than entries not yet covered by a signed head."""
        return not self.failures

    @property
    def first_problem(self) -> Problem | None:
        """The fatal problem at the smallest position (head-only problems last)."""
        return min(self.failures, key=problem_order, default=None)

    def raise_for_problems(self) -> None:
        """Raise :class:`LogTamperedError` for the first fatal problem, if any."""
        problem = self.first_problem
        if problem is not None:
            raise LogTamperedError(problem.message, position=problem.position)


def problem_order(problem: Problem) -> tuple[int, int, int]:
    """The order a report lists problems in: by first entry concerned, head-only ones last."""
    position = -1 if problem.position is None else problem.position
    return (problem.position is None, position, problem.head or 0)
