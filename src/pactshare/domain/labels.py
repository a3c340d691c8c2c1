"""The one check of a security label against the agreements, before an item is sealed.

A label (``pactshare.seal.Label``) checks only its own form. Before a party seals an item —
``pactshare seal`` from a key folder, ``pactshare register`` and ``POST /api/v1/items`` on a
node — the label must also make sense against the registry the party holds (the reference
scenario plus its own files): :func:`check_label` is that check, shared by all three.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pactshare.domain.parties import ClassificationLevel
from pactshare.domain.registry import Registry
from pactshare.errors import LabelError, PolicyError

__all__ = ["LabelFields", "check_label"]


class LabelFields(Protocol):
    """What the check reads of a label (``pactshare.seal.Label`` has these fields)."""

    @property
    def policy(self) -> str: ...
    @property
    def originator(self) -> str: ...
    @property
    def classification(self) -> str: ...
    @property
    def topics(self) -> tuple[str, ...]: ...
    @property
    def releasable_to(self) -> tuple[str, ...]: ...


def check_label(
    label: LabelFields,
    registry: Registry,
    *,
    source: str,
    signer: str,
    to: Iterable[str] = (),
) -> ClassificationLevel:
    """The originator's level the label names, once the label holds up against ``registry``.

    * ``policy`` is an agreement of the registry and the originator is a party to it;
    * ``originator`` is ``signer``, the party whose key signs the label;
    * ``classification`` is a level of the originator (by national name or id);
    * every topic is in the registry's topic vocabulary;
    * ``releasable_to`` names known parties, and every party in ``to`` (the parties it is
      sealed for) among them.

    The first problem found raises :class:`~pactshare.errors.LabelError` naming ``source`` and
    the field.
    """
    agreement = registry.agreements.get(label.policy)
    if agreement is None:
        known = ", ".join(sorted(registry.agreements))
        raise LabelError(
            f"unknown policy {label.policy!r}; give an agreement id: {known}",
            file=source,
            key="policy",
        )
    if label.originator != signer:
        raise LabelError(
            f"{label.originator} cannot originate a label signed by {signer}'s key",
            file=source,
            key="originator",
        )
    if label.originator not in agreement.parties:
        raise LabelError(
            f"{label.originator} is not a party to {agreement.id}", file=source, key="policy"
        )
    try:
        level = registry.party(label.originator).level(label.classification)
    except PolicyError as exc:
        raise LabelError(str(exc), file=source, key="classification") from exc
    try:
        registry.check_topics(label.topics)
    except PolicyError as exc:
        raise LabelError(str(exc), file=source, key="topics") from exc
    for code in label.releasable_to:
        if code not in registry.parties:
            known = ", ".join(sorted(registry.parties))
            raise LabelError(
                f"unknown party {code!r}; known: {known}", file=source, key="releasable_to"
            )
    outside = [code for code in dict.fromkeys(to) if code not in label.releasable_to]
    if outside:
        raise LabelError(
            f"the item is sealed for {', '.join(outside)}, which the label does not release it "
            f"to ({', '.join(label.releasable_to)})",
            file=source,
            key="releasable_to",
        )
    return level
