"""Hypothesis strategies: the one module every property test draws from.

Sections: primitives (instants, topics), parties, agreements (terms, equivalence, events),
registries, requests (label, holder, approvals), instants that matter to a registry
(anniversaries, notice deadlines and event instants, each ± a little), notes with the
parties' answers, sealing (payload sizes around chunk boundaries, label fields), and JSON
values for canonical JSON.

Generated domain values are always valid domain objects: the strategies build what the
constructors accept, so a failing property is about behaviour, never about malformed input.
The JSON values, on purpose, include what canonical JSON must refuse.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from pactshare.domain import (
    Agreement,
    AgreementKind,
    Amendment,
    Approval,
    ApprovalKind,
    ClassificationLevel,
    ClassificationScheme,
    EquivalenceRow,
    Event,
    EventKind,
    Interpretation,
    LateNotice,
    Party,
    Profile,
    Registry,
    Request,
    Terms,
    status_at,
)
from pactshare.domain.authority import TOLERANCE, Answer, Proposal
from pactshare.limits import ID_PATTERN

__all__ = [
    "CODES",
    "PURPOSES",
    "SMALL_CHUNK",
    "TOPICS",
    "agreements",
    "any_json",
    "instants_for",
    "interpretations",
    "label_fields",
    "label_text",
    "note_histories",
    "parties",
    "party_codes",
    "payloads",
    "provable_json",
    "registries",
    "requests",
    "scenarios",
]

# --- primitives -----------------------------------------------------------------------------

CODES = ("KOR", "JPN", "USA", "GBR")
TIMEZONES = ("Asia/Seoul", "America/New_York", "UTC", "Europe/London", "Australia/Lord_Howe")
TOPICS = (
    "dprk-nuclear",
    "dprk-missile",
    "dprk-missile/slbm",
    "dprk-missile/slbm/telemetry",
    "dprk-conventional",
    "prc-naval",
)
SCOPES = ("*", "dprk-nuclear", "dprk-missile", "dprk-missile/slbm", "prc-naval")
PURPOSES = ("missile-warning", "litigation", "training")

_EPOCH = datetime(2014, 1, 1, tzinfo=UTC)
_SPAN = timedelta(days=365 * 10)

#: Small offsets that straddle a boundary: exactly on it, a second either side, an hour, a day.
_NUDGES = tuple(
    timedelta(seconds=s) for s in (0, -1, 1, -3600, 3600, -86_400, 86_400, -86_399, 3 * 86_400)
)


def instants(start: datetime = _EPOCH, span: timedelta = _SPAN) -> st.SearchStrategy[datetime]:
    """Aware instants (to the second) in ``[start, start + span)``, in a random zone."""
    seconds = st.integers(0, int(span.total_seconds()) - 1)
    zones = st.sampled_from(TIMEZONES).map(ZoneInfo)
    return st.builds(lambda s, z: (start + timedelta(seconds=s)).astimezone(z), seconds, zones)


def interpretations() -> st.SearchStrategy[Interpretation]:
    return st.builds(
        Interpretation, profile=st.sampled_from(Profile), late_notice=st.sampled_from(LateNotice)
    )


# --- parties --------------------------------------------------------------------------------


@st.composite
def parties(draw: st.DrawFn, code: str) -> Party:
    """A party with 2–4 levels; two levels may share a rank (like 極秘 and 特定秘密)."""
    count = draw(st.integers(2, 4))
    ranks = sorted(draw(st.lists(st.integers(1, 4), min_size=count, max_size=count)))
    levels = tuple(
        ClassificationLevel(id=f"{code.lower()}-{i}", rank=rank, names=(f"{code} L{i}",))
        for i, rank in enumerate(ranks)
    )
    zone = draw(st.sampled_from(TIMEZONES))
    return Party(
        code=code, name=f"Party {code}", timezone=zone, scheme=ClassificationScheme(levels)
    )


# --- agreements -----------------------------------------------------------------------------


@st.composite
def _equivalence(
    draw: st.DrawFn, members: tuple[str, ...], known: dict[str, Party]
) -> tuple[EquivalenceRow, ...]:
    """1–3 rows; each of a party's levels falls in at most one row (rows never overlap)."""
    count = draw(st.integers(1, 3))
    cells: list[dict[str, list[str]]] = [{} for _ in range(count)]
    for code in members:
        for level in known[code].scheme.ids():
            # -1: outside the agreement (less likely, so that many requests find a row)
            row = draw(st.sampled_from((-1, *range(count), *range(count))))
            if row >= 0:
                cells[row].setdefault(code, []).append(level)
    return tuple(
        EquivalenceRow(label=f"ROW{i}", levels={c: tuple(ids) for c, ids in cell.items()})
        for i, cell in enumerate(cells)
    )


@st.composite
def _terms(draw: st.DrawFn) -> Terms:
    years = draw(st.none() | st.integers(1, 3))
    return Terms(
        timezone=draw(st.sampled_from(TIMEZONES)),
        term_years=years,
        auto_renew=years is not None and draw(st.booleans()),
        notice_days=draw(st.none() | st.sampled_from((0, 1, 30, 90, 180))),
    )


_LIFE_EVENTS = (
    EventKind.NOTICE_OF_TERMINATION,
    EventKind.NOTICE_SUSPENSION,
    EventKind.NOTICE_RESUMPTION,
    EventKind.NOTICE_WITHDRAWAL,
    EventKind.TERMINATION,
    EventKind.ENTRY_INTO_FORCE,
    EventKind.AMENDMENT,
    EventKind.DISPUTE,
    EventKind.DISPUTE_SETTLED,
    EventKind.LAW_CHANGE_NOTICE,
)


@st.composite
def events(draw: st.DrawFn, members: tuple[str, ...]) -> tuple[Event, ...]:
    """A signature and entry into force, then 0–5 events, sorted by instant (ties allowed)."""
    entry = draw(instants())
    tail_kinds = draw(st.lists(st.sampled_from(_LIFE_EVENTS), max_size=5))
    offsets = sorted(
        draw(
            st.lists(
                st.integers(0, 5 * 365 * 86_400) | st.sampled_from((0, 1, 86_400)),
                min_size=len(tail_kinds),
                max_size=len(tail_kinds),
            )
        )
    )
    result = [
        Event("signature", EventKind.SIGNATURE, entry),
        Event("entry", EventKind.ENTRY_INTO_FORCE, entry),
    ]
    if draw(st.booleans()) and not tail_kinds:
        return ()  # never in force
    for index, (kind, offset) in enumerate(zip(tail_kinds, offsets, strict=True)):
        party = draw(st.none() | st.sampled_from(members))
        result.append(Event(f"e{index}", kind, entry + timedelta(seconds=offset), party))
    return tuple(result)


@st.composite
def agreements(
    draw: st.DrawFn,
    ident: str,
    known: dict[str, Party],
    *,
    kind: AgreementKind,
    bilateral_ids: tuple[str, ...] = (),
    members: tuple[str, ...] | None = None,
) -> Agreement:
    """An agreement of ``kind`` among ``members`` (drawn if not given; a hub arrangement's
    hub is its first member when given), borrowing protection from ``bilateral_ids``."""
    codes = sorted(known)
    hub = None
    protection: tuple[str, ...] = ()
    if kind is AgreementKind.BILATERAL:
        members = members or tuple(draw(st.permutations(codes))[:2])
    else:
        if members is None:
            size = draw(st.integers(3, len(codes)))
            members = tuple(draw(st.permutations(codes))[:size])
            hub = draw(st.sampled_from(members))
        else:
            hub = members[0]
        protection = draw(
            st.just(()) | st.lists(st.sampled_from(bilateral_ids), unique=True).map(tuple)
        )
    rows = draw(_equivalence(members, known))
    cap = draw(st.none() | st.none() | st.sampled_from([row.label for row in rows]))
    scope = draw(_scopes())
    terms = draw(_terms())
    history = draw(events(members))
    return Agreement(
        id=ident,
        title=f"Agreement {ident}",
        kind=kind,
        parties=members,
        hub=hub,
        terms=terms,
        equivalence=rows,
        scope=scope,
        binding=draw(st.booleans()),
        third_party_release_needs_approval=draw(st.booleans()),
        purpose_change_needs_approval=draw(st.booleans()),
        relay_needs_originator_consent=draw(st.booleans()),
        assurance_before_provision=draw(st.booleans()),
        protection_from=protection,
        classification_cap=cap,
        events=draw(_with_terms(history, members, known, terms=terms, rows=rows, cap=cap)),
    )


def _scopes() -> st.SearchStrategy[tuple[str, ...]]:
    return st.just(("*",)) | st.lists(
        st.sampled_from(SCOPES), min_size=1, max_size=2, unique=True
    ).map(tuple)


@st.composite
def _with_terms(
    draw: st.DrawFn,
    history: tuple[Event, ...],
    members: tuple[str, ...],
    known: dict[str, Party],
    *,
    terms: Terms,
    rows: tuple[EquivalenceRow, ...],
    cap: str | None,
) -> tuple[Event, ...]:
    """``history`` with terms drawn for some of its amendments (R-AMD-1): a new table (and a
    cap among its labels, if the one in force is not), scope, cap, term length, notice."""
    result = []
    for event in history:
        if event.kind is not EventKind.AMENDMENT or draw(st.integers(0, 3)) == 0:
            result.append(event)
            continue
        table = draw(st.none() | _equivalence(members, known))
        labels = [row.label for row in (rows if table is None else table)]
        new_cap = draw(st.none() | st.sampled_from(labels))
        if new_cap is None and cap is not None and cap not in labels:
            new_cap = labels[0]
        years = draw(st.none() | st.integers(1, 3)) if terms.term_years else None
        notice = draw(st.none() | st.sampled_from((0, 1, 30, 90, 180)))
        scope = draw(st.none() | _scopes())
        if (table, scope, new_cap, years, notice) == (None, None, None, None, None):
            notice = 30
        change = Amendment(table, scope, new_cap, years, notice)
        rows, cap = table or rows, new_cap or cap
        result.append(Event(event.id, event.kind, event.at, event.party, "", change))
    return tuple(result)


# --- registries -----------------------------------------------------------------------------


@st.composite
def registries(draw: st.DrawFn) -> Registry:
    """3–4 parties, 1–4 bilaterals and 0–2 hub arrangements borrowing their protection."""
    count = draw(st.integers(3, 4))
    known = {code: draw(parties(code)) for code in CODES[:count]}
    result: dict[str, Agreement] = {}
    for index in range(draw(st.integers(1, 4))):
        ident = f"bi-{index}"
        result[ident] = draw(agreements(ident, known, kind=AgreementKind.BILATERAL))
    if draw(st.booleans()):
        # A TISA-like family: a hub, its participants, and a bilateral between the hub and
        # each participant (sometimes two) for the arrangement to borrow protection from.
        members = tuple(draw(st.permutations(sorted(known)))[: draw(st.integers(3, count))])
        for member in members[1:]:
            for copy in range(draw(st.integers(1, 2))):
                ident = f"leg-{member.lower()}-{copy}"
                pair = (members[0], member)
                result[ident] = draw(
                    agreements(ident, known, kind=AgreementKind.BILATERAL, members=pair)
                )
        result["hub-family"] = draw(
            agreements(
                "hub-family",
                known,
                kind=AgreementKind.HUB,
                bilateral_ids=tuple(result),
                members=members,
            )
        )
    for index in range(draw(st.integers(0, 1))):
        ident = f"hub-{index}"
        result[ident] = draw(
            agreements(ident, known, kind=AgreementKind.HUB, bilateral_ids=tuple(result))
        )
    return Registry(parties=known, agreements=result)


# --- instants that matter to a registry -----------------------------------------------------


def _add_years(moment: datetime, zone: ZoneInfo, years: int) -> datetime:
    local = moment.astimezone(zone).replace(tzinfo=None)
    try:
        moved = local.replace(year=local.year + years)
    except ValueError:  # 29 February
        moved = local.replace(year=local.year + years, day=28)
    return moved.replace(tzinfo=zone)


def boundaries(agreement: Agreement) -> list[datetime]:
    """Event instants, anniversaries and notice deadlines of ``agreement`` (first ten terms)."""
    points = [event.at for event in agreement.events]
    entries = [e.at for e in agreement.events if e.kind is EventKind.ENTRY_INTO_FORCE]
    terms = agreement.terms
    if entries and terms.term_years is not None:
        zone = ZoneInfo(terms.timezone)
        notice = timedelta(days=terms.notice_days or 0)
        for entry in entries[:2]:
            for k in range(1, 10):
                anniversary = _add_years(entry, zone, k * terms.term_years)
                local_deadline = anniversary.replace(tzinfo=None) - notice
                points += [anniversary, local_deadline.replace(tzinfo=zone)]
    for event in agreement.events:
        if event.amendment is None:
            continue
        # the calendar as amended (R-AMD-1): the dates status_at reports from the amendment on
        # (the reference decides what the status is at and around them)
        moment: datetime | None = event.at
        for _ in range(6):
            if moment is None:
                break
            report = status_at(agreement, moment)
            points += [p for p in (report.notice_deadline, report.next_anniversary) if p]
            moment = report.next_anniversary
    return points


@st.composite
def instants_for(draw: st.DrawFn, registry: Registry) -> datetime:
    """An instant near something that matters (or anywhere), in a random zone."""
    points = [p for a in registry.agreements.values() for p in boundaries(a)]
    if not points or draw(st.integers(0, 4)) == 0:
        return draw(instants())
    moment = draw(st.sampled_from(points)) + draw(st.sampled_from(_NUDGES))
    return moment.astimezone(ZoneInfo(draw(st.sampled_from(TIMEZONES))))


# --- requests -------------------------------------------------------------------------------


@st.composite
def _approvals(
    draw: st.DrawFn, registry: Registry, originator: str, at: datetime
) -> tuple[Approval, ...]:
    result = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(ApprovalKind))
        subject = draw(
            st.sampled_from(sorted(registry.parties) if kind is ApprovalKind.RELEASE else PURPOSES)
        )
        recorded = at + draw(st.sampled_from((*_NUDGES, -timedelta(days=400))))
        revoked = draw(st.none() | st.sampled_from([at + n for n in _NUDGES]))
        if revoked is not None and revoked < recorded:
            revoked = None
        result.append(
            Approval(
                originator=draw(st.sampled_from((originator, originator, *registry.parties))),
                kind=kind,
                subject=subject,
                recorded_at=recorded,
                item_id=draw(st.sampled_from((None, None, "item-1", "item-2"))),
                revoked_at=revoked,
            )
        )
    return tuple(result)


@st.composite
def requests(draw: st.DrawFn, registry: Registry, at: datetime, *, onward: bool = True) -> Request:
    """A request to provide an item; with ``onward``, sometimes by a holder who is not the
    originator (a third-party release or a change of purpose)."""
    codes = sorted(registry.parties)
    originator = draw(st.sampled_from(codes))
    holder = originator
    if onward and draw(st.booleans()):
        holder = draw(st.sampled_from([c for c in codes if c != originator]))
    recipient = draw(st.sampled_from([c for c in codes if c != holder]))
    level = draw(st.sampled_from(registry.parties[originator].scheme.levels))
    agreement_ids = sorted(registry.agreements)
    return Request(
        originator=originator,
        recipient=recipient,
        classification=draw(st.sampled_from((level.id, level.name))),
        topics=tuple(draw(st.lists(st.sampled_from(TOPICS), min_size=1, max_size=4, unique=True))),
        holder=holder if holder != originator or draw(st.booleans()) else None,
        purpose=draw(st.none() | st.sampled_from(PURPOSES)),
        provided_for=draw(st.none() | st.sampled_from(PURPOSES)),
        releasable_to=draw(
            st.just(()) | st.lists(st.sampled_from(codes), max_size=3, unique=True).map(tuple)
        ),
        approvals=draw(_approvals(registry, originator, at)),
        item_id=draw(st.sampled_from((None, "item-1"))),
        received_under=draw(st.none() | st.sampled_from(agreement_ids))
        if holder != originator
        else None,
    )


@st.composite
def scenarios(
    draw: st.DrawFn, *, count: int = 8, onward: bool = True
) -> tuple[Registry, Interpretation, list[tuple[datetime, Request]]]:
    """A registry, a reading, and up to ``count`` (instant, request) pairs against it."""
    registry = draw(registries())
    pairs = []
    for _ in range(draw(st.integers(1, count))):
        at = draw(instants_for(registry))
        pairs.append((at, draw(requests(registry, at, onward=onward))))
    return registry, draw(interpretations()), pairs


# --- notes and answers ----------------------------------------------------------------------

#: The notes' window: GSOMIA's whole recorded life, and a little before it.
_NOTES_FROM = datetime(2016, 6, 1, tzinfo=UTC)
_NOTES_SPAN = timedelta(days=365 * 8)


def _near(agreement: Agreement) -> st.SearchStrategy[datetime]:
    """An instant a little after one that matters to ``agreement`` (while a notice runs…)."""
    events = [event.at for event in agreement.events] or [_NOTES_FROM]
    return st.builds(
        lambda point, days: point + timedelta(days=days),
        st.sampled_from(events) | st.sampled_from(boundaries(agreement) or events),
        st.integers(0, 60),
    )


@st.composite
def _proposal(
    draw: st.DrawFn, agreement: Agreement, index: int, codes: tuple[str, ...]
) -> Proposal:
    """A note on ``agreement`` by any party (a party to it or not), with answers by any."""
    kind = draw(st.sampled_from(EventKind))
    party = draw(st.sampled_from(codes))
    named = draw(instants(_NOTES_FROM, _NOTES_SPAN) | _near(agreement))
    issued = named - timedelta(seconds=draw(st.integers(0, int(TOLERANCE.total_seconds()))))
    received = draw(st.none() | st.just(named + timedelta(hours=draw(st.integers(0, 72)))))
    answerers = draw(st.lists(st.sampled_from(codes), unique=True, max_size=len(codes)))
    answers = tuple(
        Answer(
            who,
            draw(st.booleans()),
            named + timedelta(hours=draw(st.integers(0, 24 * 30))),
            "no",
        )
        for who in answerers
    )
    event = Event(f"note-{index}", kind, named, party, "generated")
    return Proposal(agreement.id, event, issued, received, answers)


@st.composite
def note_histories(draw: st.DrawFn, registry: Registry) -> tuple[Proposal, ...]:
    """1–6 notes on the registry's agreements by random parties, each with random answers."""
    codes = tuple(sorted(registry.parties))
    agreements = sorted(registry.agreements)
    count = draw(st.integers(1, 6))
    return tuple(
        draw(_proposal(registry.agreements[draw(st.sampled_from(agreements))], index, codes))
        for index in range(count)
    )


# --- sealing --------------------------------------------------------------------------------

SMALL_CHUNK = 64

#: Payload sizes around chunk boundaries of a small chunk size: 0, k*chunk - 1, k*chunk,
#: k*chunk + 1, so that every framing case (empty, short last, full last) is drawn.
boundary_sizes = st.builds(
    lambda k, delta: max(0, k * SMALL_CHUNK + delta),
    st.integers(min_value=0, max_value=4),
    st.sampled_from([-1, 0, 1]),
)

payload_sizes = st.one_of(boundary_sizes, st.integers(min_value=0, max_value=5 * SMALL_CHUNK))


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    size = draw(payload_sizes)
    seed = draw(st.binary(min_size=1, max_size=16))
    return (seed * (size // len(seed) + 1))[:size]


#: Text a label accepts: any Unicode scalar values (no lone surrogates), trimmed, non-empty.
label_text = (
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)

#: Ids of the one id grammar (pactshare.limits.ID_PATTERN).
ids = st.from_regex(ID_PATTERN, fullmatch=True)

party_codes = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=3, max_size=3)


@st.composite
def label_fields(draw: st.DrawFn) -> dict[str, object]:
    fields: dict[str, object] = {
        "policy": draw(label_text),
        "originator": draw(party_codes),
        "classification": draw(label_text),
        "topics": draw(st.lists(label_text, unique=True, max_size=4)),
        "releasable_to": draw(st.lists(party_codes, unique=True, min_size=1, max_size=4)),
        "caveats": draw(st.lists(label_text, unique=True, max_size=3)),
        "item_id": draw(ids),
        "created_at": "2026-11-23T09:00:00Z",
    }
    if draw(st.booleans()):
        fields["purpose"] = draw(label_text)
    if draw(st.booleans()):
        fields["copy_limit"] = draw(st.integers(0, 1000))
    derivation = draw(st.sampled_from([None, "copy", "translation"]))
    if derivation is not None:  # a holder's copy or translation (R-REP-1, R-TRA-1)
        fields["derivation"] = derivation
        fields["derived_by"] = draw(party_codes.filter(lambda p: p != fields["originator"]))
        fields["derived_from"] = "sha256:" + draw(st.binary(min_size=32, max_size=32)).hex()
        if derivation == "translation":
            fields["language"] = draw(st.sampled_from(["en", "ja", "ko", "fra"]))
            fields["note"] = draw(label_text)
    return fields


# --- JSON values --------------------------------------------------------------------------------

# JSON values for canonical JSON (pactshare.canonical): every corner where the standard
# library's encoder and RFC 8785 could part — escapes, astral characters against U+E000..U+FFFF
# in keys, lone surrogates, integers around 2**53, floats, enum subclasses, non-string keys.

#: Characters where escaping or key order could go wrong, beside any character at all.
_TRICKY = [
    *(chr(c) for c in range(0x20)),
    *'"\\/ Aa~\x7f\x80é\u2028\u2029€',
    "\ud7ff",
    "\ue000",
    "\ufb33",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U0010ffff",
]
_valid_text = st.text(
    st.one_of(st.sampled_from(_TRICKY), st.characters(exclude_categories=["Cs"])), max_size=12
)
_surrogate_text = st.text(
    st.one_of(st.sampled_from(_TRICKY), st.characters(categories=["Cs"])), min_size=1, max_size=4
)
#: Keys from a few characters, so that one object often holds keys whose first difference
#: is an astral character against one in U+E000..U+FFFF (code points and UTF-16 disagree).
json_keys = st.one_of(
    st.text(st.sampled_from("a\u00e9\ue000\ufb33\uffff\U00010000\U0001f600"), max_size=3),
    _valid_text,
)


class _Colour(StrEnum):
    RED = "red"
    BLUE = "bl\u00fc\n"


class _Rank(IntEnum):
    ONE = 1
    BIG = 2**53


_SAFE = 2**53 - 1
json_integers = st.one_of(
    st.integers(min_value=-_SAFE, max_value=_SAFE),
    st.sampled_from([_SAFE, -_SAFE, _SAFE + 1, -_SAFE - 1, 2**64, -(2**64)]),
)

#: JSON scalars that canonical JSON accepts and the fast path can take.
provable_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-_SAFE, max_value=_SAFE),
    _valid_text,
    st.sampled_from(_Colour),
)


def provable_json() -> st.SearchStrategy[object]:
    """JSON values made of dicts (string keys), lists, tuples and :data:`provable_scalars`."""
    return st.recursive(
        provable_scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(json_keys, children, max_size=5),
        ),
        max_leaves=20,
    )


def any_json() -> st.SearchStrategy[object]:
    """Values of every kind canonical JSON is handed, valid or not: besides
    :func:`provable_json`'s, floats (NaN and infinities too), integers beyond 2**53, lone
    surrogates, enum integers and keys that are not strings."""
    scalars = st.one_of(
        provable_scalars,
        json_integers,
        st.floats(),
        _surrogate_text,
        st.sampled_from(_Rank),
    )
    keys = st.one_of(json_keys, _surrogate_text, st.integers(), st.none())
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(json_keys, children, max_size=5),
            st.dictionaries(keys, children, max_size=3),
        ),
        max_leaves=20,
    )
