"""The one decision-request builder (check, the decision API, the explorer) and the prepared
registry decisions are made against."""

from __future__ import annotations

from pactshare.domain import ApprovalKind, Outcome, Prepared, Request, decide
from pactshare.domain.questions import AskedApproval, Question, QuestionField, build_request
from tests.support import GSOMIA, SUSPENSION, at, kor_to_jpn, reference, without

MIDNIGHT = at("2019-11-23T00:00:00+09:00")


def _question(**changes: object) -> Question:
    facts: dict[str, object] = {
        "sender": "kor ",
        "recipient": "jpn",
        "classification": "군사 II급 비밀",
        "topics": ("dprk-missile/slbm",),
    }
    return Question(**{**facts, **changes})  # type: ignore[arg-type]


def test_a_question_becomes_the_request_with_party_codes_normalised() -> None:
    approval = AskedApproval(ApprovalKind.RELEASE, "usa", at("2019-01-01T00:00:00+09:00"))
    built = build_request(
        _question(releasable_to=("usa", "JPN"), approvals=(approval,)), reference()
    )
    assert built.problems == ()
    assert built.request is not None
    assert (built.request.originator, built.request.recipient) == ("KOR", "JPN")
    assert built.request.releasable_to == ("USA", "JPN")
    (given,) = built.request.approvals
    assert (given.originator, given.kind, given.subject) == ("KOR", ApprovalKind.RELEASE, "USA")


def test_every_problem_names_its_field_and_no_request_is_built() -> None:
    built = build_request(
        _question(
            recipient="xx",
            classification="SECRET",
            topics=("dprk-missle",),
            releasable_to=("zz",),
            drop_events=("nothing",),
        ),
        reference(),
    )
    assert built.request is None
    fields = [problem.field for problem in built.problems]
    assert fields == [
        QuestionField.TO,
        QuestionField.CLASSIFICATION,
        QuestionField.DROP_EVENT,
        QuestionField.TOPICS,
        QuestionField.RELEASABLE_TO,
    ]
    assert "did you mean dprk-missile" in built.problems[3].text


def test_the_originator_cannot_be_the_recipient() -> None:
    built = build_request(_question(recipient="KOR"), reference())
    assert [(p.field, p.text) for p in built.problems] == [
        (QuestionField.TO, "KOR is both the originator and the recipient")
    ]


def test_the_what_if_drops_events_from_whichever_agreement_records_them() -> None:
    built = build_request(_question(drop_events=(SUSPENSION,)), reference())
    assert built.registry.agreement(GSOMIA).event(SUSPENSION) is None
    assert built.registry == without(SUSPENSION)
    assert built.request is not None
    assert decide(built.request, built.registry, MIDNIGHT).outcome is Outcome.RELAY


def test_a_prepared_registry_belongs_to_its_registry_alone() -> None:
    """Two registries whose agreements share ids and differ in events decide apart, each
    against its own prepared timelines (nothing is cached by identity across registries)."""
    history, counterfactual = Prepared(reference()), Prepared(without(SUSPENSION))
    request: Request = kor_to_jpn("군사 II급 비밀", "prc-naval")
    for _ in range(2):
        assert decide(request, history, MIDNIGHT).outcome is Outcome.ALLOWED
        assert decide(request, counterfactual, MIDNIGHT).outcome is Outcome.REFUSED
