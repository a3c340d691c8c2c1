"""The pure core of pactshare: no I/O, no clock, no randomness — time is always ``at=``.

Parties and their classification schemes, agreements and their lifecycle, approvals, the
decision engine and access control.
"""

from pactshare.domain.access import AccessDecision, Holding, Person, may_access
from pactshare.domain.agreements import (
    Agreement,
    AgreementInvalid,
    AgreementKind,
    Amendment,
    EquivalenceRow,
    Event,
    EventKind,
    Terms,
)
from pactshare.domain.approvals import Approval, ApprovalKind
from pactshare.domain.context import (
    Confidence,
    ContextEvent,
    Instrument,
    InstrumentKind,
    Precision,
)
from pactshare.domain.decision import (
    Consent,
    Decision,
    Effect,
    Hop,
    Marking,
    Outcome,
    Reason,
    Request,
    Route,
)
from pactshare.domain.instants import parse_instant, require_aware
from pactshare.domain.lifecycle import (
    DEFAULT_INTERPRETATION,
    Interpretation,
    LateNotice,
    Note,
    NoteKind,
    Profile,
    Status,
    StatusReport,
    Term,
    status_at,
)
from pactshare.domain.parties import (
    ClassificationLevel,
    ClassificationScheme,
    Party,
    normalise_party_code,
)
from pactshare.domain.policy import decide, decide_many
from pactshare.domain.prepared import Prepared
from pactshare.domain.registry import Registry
from pactshare.domain.timeline import Band, bands

__all__ = [
    "DEFAULT_INTERPRETATION",
    "AccessDecision",
    "Agreement",
    "AgreementInvalid",
    "AgreementKind",
    "Amendment",
    "Approval",
    "ApprovalKind",
    "Band",
    "ClassificationLevel",
    "ClassificationScheme",
    "Confidence",
    "Consent",
    "ContextEvent",
    "Decision",
    "Effect",
    "EquivalenceRow",
    "Event",
    "EventKind",
    "Holding",
    "Hop",
    "Instrument",
    "InstrumentKind",
    "Interpretation",
    "LateNotice",
    "Marking",
    "Note",
    "NoteKind",
    "Outcome",
    "Party",
    "Person",
    "Precision",
    "Prepared",
    "Profile",
    "Reason",
    "Registry",
    "Request",
    "Route",
    "Status",
    "StatusReport",
    "Term",
    "Terms",
    "bands",
    "decide",
    "decide_many",
    "may_access",
    "normalise_party_code",
    "parse_instant",
    "require_aware",
    "status_at",
]
