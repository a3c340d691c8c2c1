"""Parties and their national classification schemes.

A scheme is an ordered list of levels, highest first. Each level has a stable ASCII id and
one or more national names; several levels may share a rank (Japan's 特定秘密 ranks with 極秘
for equivalence, R-CLS-3). Inputs name a level by id or by national name, whitespace-insensitive.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from pactshare.domain.designations import CompetentAuthority, Facility
from pactshare.errors import InvariantError, PolicyError

__all__ = [
    "ClassificationLevel",
    "ClassificationScheme",
    "Party",
    "normalise_name",
    "normalise_party_code",
]

_PARTY_CODE = re.compile(r"^[A-Z]{3}$")
_LEVEL_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def normalise_name(name: str) -> str:
    """Fold a level name for comparison: NFKC, no whitespace, case-folded."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if not ch.isspace())


def normalise_party_code(text: str) -> str:
    """A party code as a person or a tool typed it (``" kor"``), in its one form (``"KOR"``).

    Only folds: whether the code names a party is for the caller to check, against the
    registry or the key directory it holds, with a message naming where the code came from.
    """
    return text.strip().upper()


@dataclass(frozen=True, slots=True)
class ClassificationLevel:
    """One level of a national scheme. ``rank`` 1 is the highest."""

    id: str
    rank: int
    names: tuple[str, ...]
    english: str = ""

    def __post_init__(self) -> None:
        if not _LEVEL_ID.match(self.id):
            raise InvariantError(
                f"level id {self.id!r} must be lowercase ASCII letters, digits and '-'"
            )
        if not self.names:
            raise InvariantError(f"level {self.id!r} needs at least one national name")
        if self.rank < 1:
            raise InvariantError(f"level {self.id!r}: rank must be 1 or more")

    @property
    def name(self) -> str:
        """The level's principal national name (the first one)."""
        return self.names[0]


@dataclass(frozen=True, slots=True)
class ClassificationScheme:
    """The ordered levels of one party's national scheme."""

    levels: tuple[ClassificationLevel, ...]
    _index: dict[str, ClassificationLevel] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, ClassificationLevel] = {}
        ranks = [level.rank for level in self.levels]
        if ranks != sorted(ranks):
            raise InvariantError("levels must be listed from the highest rank (1) down")
        for level in self.levels:
            for key in (level.id, *level.names):
                folded = normalise_name(key)
                other = index.get(folded)
                if other is not None and other is not level:
                    raise InvariantError(f"{key!r} names both {other.id!r} and {level.id!r}")
                index[folded] = level
        object.__setattr__(self, "_index", index)

    def find(self, name_or_id: str) -> ClassificationLevel | None:
        """The level with this id or national name, or None."""
        return self._index.get(normalise_name(name_or_id))

    def ids(self) -> tuple[str, ...]:
        return tuple(level.id for level in self.levels)


@dataclass(frozen=True, slots=True)
class Party:
    """A party to agreements: an ISO 3166-1 alpha-3 code, a name, a time zone and a scheme;
    the competent authorities it designated (R-DEF-3) and its facilities (R-VIS-1), as its
    party file lists them."""

    code: str
    name: str
    timezone: str
    scheme: ClassificationScheme
    authorities: tuple[CompetentAuthority, ...] = ()
    facilities: tuple[Facility, ...] = ()

    def __post_init__(self) -> None:
        if not _PARTY_CODE.match(self.code):
            raise InvariantError(
                f"party code {self.code!r} must be three capital letters (ISO alpha-3)"
            )

    def facility(self, ident: str) -> Facility | None:
        """The facility of this party with id ``ident``, or None."""
        return next((f for f in self.facilities if f.id == ident), None)

    def level(self, name_or_id: str) -> ClassificationLevel:
        """Resolve a level of this party's scheme by id or national name."""
        found = self.scheme.find(name_or_id)
        if found is None:
            known = ", ".join(f"{lv.id} ({lv.name})" for lv in self.scheme.levels)
            raise PolicyError(
                f"{name_or_id!r} is not a classification level of {self.code}; known: {known}"
            )
        return found
