"""Random notes, acceptances and rejections from random parties never change a decision unless
the parties required for that kind of event made them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pactshare.domain import Decision, Prepared, Profile, Registry, Status, decide, status_at
from pactshare.domain.authority import JOINT_KINDS, Proposal, settle
from pactshare.domain.lifecycle import Interpretation
from tests.properties.conftest import examples
from tests.strategies import note_histories
from tests.support import kor_to_jpn, reference

ACTS_ON_NOTICE = {"notice_suspension", "notice_resumption", "notice_withdrawal"}


def settled(registry: Registry, history: tuple[Proposal, ...]) -> Registry:
    for agreement in registry.agreements.values():
        mine = [p for p in history if p.agreement_id == agreement.id]
        if mine:
            registry = registry.with_agreement(settle(agreement, mine)[0])
    return registry


def made_by_those_required(
    note: Proposal, registry: Registry, history: tuple[Proposal, ...]
) -> bool:
    """Whether the parties this kind of event needs made it (a necessary condition)."""
    agreement = registry.agreements[note.agreement_id]
    giver = note.event.party
    if giver not in agreement.parties:
        return False
    if note.event.kind in JOINT_KINDS:
        answers = {a.party: a.accepted for a in note.answers}
        others = [p for p in agreement.parties if p != giver]
        return all(answers.get(p) is True for p in others)
    if note.event.kind.value in ACTS_ON_NOTICE:  # one's own notice: the giver gave one
        given = [e for e in agreement.events if e.kind.value == "notice_of_termination"]
        given += [p.event for p in history if p.agreement_id == agreement.id
                  and p.event.kind.value == "notice_of_termination"]  # fmt: skip
        return any(event.party == giver for event in given)
    return True


def outcomes(registry: Registry, moments: list[datetime]) -> list[tuple[object, ...]]:
    """What the registry decides at each moment: every agreement's status under each reading,
    and KOR's provision of a SECRET item to JPN (one prepared registry for every moment, as a
    node holds it)."""
    prepared = Prepared(registry)
    result: list[tuple[object, ...]] = []
    for moment in moments:
        statuses: list[Status] = [
            status_at(a, moment, Interpretation(profile=p)).status
            for a in registry.agreements.values()
            for p in Profile
        ]
        decision: Decision = decide(kor_to_jpn(), prepared, moment)
        result.append((moment, tuple(statuses), decision.outcome, decision.route))
    return result


@pytest.mark.slow
@settings(max_examples=examples(200, 100))
@given(st.data())
def test_a_note_changes_no_decision_unless_the_parties_required_made_it(
    data: st.DataObject,
) -> None:
    base = reference()
    history = data.draw(note_histories(base))
    after = settled(base, history)
    moments = sorted(
        {p.counts_from() + timedelta(seconds=s) for p in history for s in (0, 1, 86_400 * 30)}
        | {a.at + timedelta(days=200) for p in history for a in p.answers}
    )
    for index, note in enumerate(history):
        if made_by_those_required(note, base, history):
            continue
        without = settled(base, history[:index] + history[index + 1 :])
        assert outcomes(after, moments) == outcomes(without, moments), note
