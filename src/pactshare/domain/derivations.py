"""Copies and translations of a held item (R-REP-1, R-TRA-1): who may make one, within which
limit, and the note a translation carries.

The rulebook gives the articles' template wording, marked [L]: a copy carries all original
markings, stays under the same controls as the original, and the number of copies is
limited to official needs (R-REP-1); translators hold a clearance, and a translation carries
the classification and a note in the target language that it contains the originating
party's information (R-TRA-1; Kyodo's report that the number of translators is limited is
[M]). Here the limit is the originator's: its label's ``copy_limit`` counts copies and
translations together (R-CON-1(o): translations "with copies handled the same way"); a
label without one allows none. Only a holder copies (the originator registers its own
item again), and only the original: a copy of a copy would escape the count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from pactshare.domain.access import Holding
from pactshare.domain.decision import Effect, Reason
from pactshare.errors import InputError

__all__ = [
    "TRANSLATION_NOTES",
    "DerivationKind",
    "Original",
    "check_language",
    "derivation_reasons",
    "translation_note",
]


class DerivationKind(StrEnum):
    COPY = "copy"
    TRANSLATION = "translation"


# The note a translation carries in its own language (R-TRA-1, template wording [L]): GSOMIA's
# own terms where its texts have them (Korean 군사비밀정보 / 제공당사자, Japanese 秘密軍事情報 /
# 提供締約国, English Classified Military Information / Originating Party).
TRANSLATION_NOTES: Mapping[str, str] = {
    "en": "This translation contains Classified Military Information of the Originating Party"
    " ({originator}).",
    "ja": "この翻訳には提供締約国（{originator}）の秘密軍事情報が含まれている。",
    "ko": "이 번역물에는 제공당사자({originator})의 군사비밀정보가 포함되어 있음.",
}


def check_language(language: str) -> str:
    """``language`` if a translation into it can carry its note; InputError otherwise (a
    translation without the note is not made)."""
    if language not in TRANSLATION_NOTES:
        known = ", ".join(sorted(TRANSLATION_NOTES))
        raise InputError(
            f"--language {language!r}: no note text for that language, so no translation into "
            f"it can carry the note R-TRA-1 requires (languages: {known})"
        )
    return language


def translation_note(language: str, originator: str) -> str:
    """The note a translation into ``language`` carries, naming the ``originator``."""
    return TRANSLATION_NOTES[check_language(language)].format(originator=originator)


@dataclass(frozen=True, slots=True)
class Original:
    """What a copy or translation is made from, as the holder's records have it."""

    holding: Holding
    state: str  # held | destroyed | returned
    derived_from: str | None  # the original of this item, if it is itself a copy
    derivation: str | None  # copy | translation, if it is itself one
    copy_limit: int | None  # the originator's, from its label
    made: int  # copies and translations already made of it


def derivation_reasons(original: Original, kind: DerivationKind) -> tuple[Reason, ...]:
    """What, besides opening it (R-ACC-2: clearance and need-to-know; a translator holds a
    clearance, R-TRA-1), decides whether a ``kind`` of ``original`` may be made: it is held,
    it is an original of another party, and the originator's limit is not reached
    (R-REP-1)."""
    rule = "R-REP-1" if kind is DerivationKind.COPY else "R-TRA-1"
    return tuple(_custody(original, kind, rule))


def _custody(original: Original, kind: DerivationKind, rule: str) -> list[Reason]:
    item = original.holding.item_id
    if original.state != "held":
        text = f"{item} is {original.state}: nothing is made from a disposed item"
        return [Reason("R-PRO-8", text, Effect.DENY)]
    if original.derivation is not None:
        text = (
            f"{item} is itself a {original.derivation} of {original.derived_from}: make the "
            f"{kind.value} from the original, whose limit counts every one"
        )
        return [Reason("R-REP-1", text, Effect.DENY)]
    if original.holding.originator == original.holding.holder:
        text = (
            f"{original.holding.originator} originated {item}: a {kind.value} is a holder's, "
            "the originator registers its own item again"
        )
        return [Reason("R-REP-1", text, Effect.DENY)]
    limit, made = original.copy_limit, original.made
    if limit is None:
        text = (
            f"{original.holding.originator}'s label for {item} sets no copy_limit: "
            "no copy or translation may be made"
        )
        return [Reason("R-REP-1", text, Effect.DENY)]
    if made >= limit:
        text = (
            f"{original.holding.originator} allows {limit} copies and translations of {item}; "
            f"{made} are made"
        )
        return [Reason("R-REP-1", text, Effect.DENY)]
    text = f"{kind.value} {made + 1} of the {limit} {original.holding.originator} allows"
    return [Reason(rule, text, Effect.PERMIT)]
