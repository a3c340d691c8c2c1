"""The obligations that come with a receipt: what a receiving party owes the originator for as
long as it holds the item, whatever happens to the agreement after (R-SURV-1).

Decisions that allow a provision cite them as notes, one pair per receiving party of the
route; an item's page lists them for the copy this node received.
"""

from __future__ import annotations

from pactshare.domain.agreements import Agreement
from pactshare.domain.decision import Effect, Reason

__all__ = ["receipt_obligations"]


def receipt_obligations(
    agreement: Agreement, originator: str, recipient: str
) -> tuple[Reason, ...]:
    """What ``recipient`` owes ``originator`` for an item it receives under ``agreement``:
    equivalent protection (R-PRO-3) and respect of the originator's rights in it (R-PRO-4),
    with the rulebook's confidence marks."""
    return (
        Reason(
            "R-PRO-3",
            f"{recipient} owes it protection substantially equivalent to {originator}'s, "
            "under its own laws [H: Art. 7(5)(c); L: Art. 6]",
            Effect.NOTE,
            agreement.article("equivalent_protection"),
        ),
        Reason(
            "R-PRO-4",
            f"{recipient} respects {originator}'s intellectual property in it (patents, "
            "copyrights, trade secrets) [H]",
            Effect.NOTE,
            agreement.article("originator_rights"),
        ),
    )
