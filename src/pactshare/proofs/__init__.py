"""Proofs over every instant and request: the registry's rules translated into SMT formulas
and properties proved of them with z3 (``pip install 'pactshare[proofs]'``).

What is proved is the translation (:mod:`pactshare.proofs.translation`), which mirrors the
decision engine's routes check by check; the differential tests
(``tests/properties/test_proofs_differential.py``) tie it to
:func:`~pactshare.domain.decide` on random instants and requests, and every counterexample is
decided again by the plain engine (:mod:`pactshare.proofs.properties`). z3 is imported only
when :func:`verify` runs, so that the rest of pactshare works without the extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pactshare.errors import PactshareError

if TYPE_CHECKING:
    from pactshare.domain.registry import Registry
    from pactshare.proofs.properties import Verdict

__all__ = ["EXTRA", "ProofsUnavailableError", "verify"]

EXTRA = "pip install 'pactshare[proofs]'"


class ProofsUnavailableError(PactshareError):
    """The solver the proofs need (z3, the ``proofs`` extra) is not installed."""


def verify(registry: Registry) -> tuple[Verdict, ...]:
    """Each property proved of ``registry``'s translation, or with a counterexample
    (:func:`pactshare.proofs.properties.verify`)."""
    try:
        from pactshare.proofs.properties import verify as prove  # noqa: PLC0415 - needs z3
    except ModuleNotFoundError as exc:
        if exc.name != "z3":
            raise
        raise ProofsUnavailableError(
            f"the proofs need the z3 solver, which is not installed: {EXTRA}"
        ) from exc
    return prove(registry)
