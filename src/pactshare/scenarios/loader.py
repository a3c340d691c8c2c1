"""A strict loader for party and agreement files.

Each TOML file holds one ``[party]``, one ``[agreement]``, one ``[topics]`` or one
``[instrument]`` table (see the reference files beside this module); an ``[instrument]`` is
recorded for context only (:mod:`pactshare.domain.context`). A ``[topics]`` table maps each
topic path of the vocabulary to its description; files add topics to the reference
vocabulary (``topics.toml``), and every scope must name known topics (``*`` declares
nothing). A bad file is rejected with the file, the key path and what is wrong; nothing is
half-loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from pactshare.domain.agreements import (
    MAX_NOTICE_DAYS,
    MAX_TERM_YEARS,
    Agreement,
    AgreementKind,
    Amendment,
    EquivalenceRow,
    Event,
    EventKind,
    Terms,
)
from pactshare.domain.context import (
    Confidence,
    ContextEvent,
    Instrument,
    InstrumentKind,
    Precision,
)
from pactshare.domain.designations import CompetentAuthority, Facility
from pactshare.domain.instants import zone
from pactshare.domain.parties import ClassificationLevel, ClassificationScheme, Party
from pactshare.domain.registry import Registry, agreement_problems
from pactshare.domain.topics import ALL_TOPICS, TopicVocabulary, check_topic, parent
from pactshare.errors import InputError, InvariantError, ScenarioError
from pactshare.files import read_regular
from pactshare.limits import MAX_SCENARIO_FILE, check_instant, parse_toml

__all__ = [
    "REFERENCE_DIR",
    "Source",
    "amendment_from_data",
    "load_registry",
    "read_amendment",
    "read_sources",
    "registry_from_sources",
]

REFERENCE_DIR = Path(__file__).parent / "reference"
MAX_ROWS = 100  # rows of an equivalence table (the reference agreements have 2 or 3)
MAX_SCOPE = 1000  # topics of a scope


class Source(NamedTuple):
    """One party or agreement file: where it came from, and its TOML text."""

    name: str
    text: str


def _aware(value: datetime) -> datetime:
    try:
        return check_instant(value, what="instant")
    except InputError as exc:
        raise ValueError(str(exc).removeprefix("instant: ")) from exc


def _timezone(name: str) -> str:
    try:
        zone(name, what="timezone")
    except InputError as exc:
        raise ValueError(str(exc)) from exc
    return name


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
PartyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class _LevelFile(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    rank: int = Field(ge=1)
    names: list[str] = Field(min_length=1)
    english: str = ""


class _AuthorityFile(_Strict):  # R-DEF-3: a competent authority and its effective dates
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")
    name: str = Field(min_length=1, max_length=200)
    effective_from: AwareDatetime
    effective_until: AwareDatetime | None = None


class _FacilityFile(_Strict):  # R-VIS-1: a facility that visits name
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")
    name: str = Field(min_length=1, max_length=200)


class _PartyFile(_Strict):
    code: PartyCode
    name: str
    timezone: TimeZoneName
    levels: list[_LevelFile] = Field(min_length=1)
    authorities: list[_AuthorityFile] = Field(default_factory=list)
    facilities: list[_FacilityFile] = Field(default_factory=list)


class _TermsFile(_Strict):
    timezone: TimeZoneName
    term_years: int | None = Field(default=None, ge=1, le=MAX_TERM_YEARS)
    auto_renew: bool = False
    notice_days: int | None = Field(default=None, ge=0, le=MAX_NOTICE_DAYS)


class _EventFile(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    kind: EventKind
    at: AwareDatetime
    party: PartyCode | None = None
    source: str = ""
    amendment: _AmendmentFile | None = None  # only on an amendment (R-AMD-1)


class _RowFile(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)
    label: str

    @field_validator("label")
    @classmethod
    def _label_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("an equivalence row needs a label, e.g. SECRET")
        return value

    def levels(self) -> dict[str, tuple[str, ...]]:
        extra = self.model_extra or {}
        levels: dict[str, tuple[str, ...]] = {}
        for code, value in extra.items():
            ids = [value] if isinstance(value, str) else value
            if not (
                len(code) == 3
                and code.isupper()
                and isinstance(ids, list)
                and ids
                and all(isinstance(i, str) for i in ids)
            ):
                raise ValueError(
                    f"{code!r}: each row maps a party code to a list of level ids, "
                    'e.g. KOR = ["kor-mil-2"]'
                )
            levels[code] = tuple(ids)
        return levels


class _AmendmentFile(_Strict):
    """The terms an amendment changes (R-AMD-1): each key it leaves out stays as it was. A
    peer's note carries them too: the table and the scope are bounded as an agreement's."""

    equivalence: list[_RowFile] | None = Field(default=None, min_length=1, max_length=MAX_ROWS)
    scope: list[str] | None = Field(default=None, min_length=1, max_length=MAX_SCOPE)
    classification_cap: str | None = None
    term_years: int | None = Field(default=None, ge=1, le=MAX_TERM_YEARS, strict=True)
    notice_days: int | None = Field(default=None, ge=0, le=MAX_NOTICE_DAYS, strict=True)


class _AgreementFile(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    kind: AgreementKind
    parties: list[PartyCode] = Field(min_length=2)
    hub: PartyCode | None = None
    binding: bool = True
    scope: list[str] = Field(default_factory=lambda: ["*"], min_length=1, max_length=MAX_SCOPE)
    third_party_release_needs_approval: bool = True
    purpose_change_needs_approval: bool = True
    relay_needs_originator_consent: bool = False
    assurance_before_provision: bool = False
    protection_from: list[str] = Field(default_factory=list)
    classification_cap: str | None = None
    terms: _TermsFile
    articles: dict[str, str] = Field(default_factory=dict)
    equivalence: list[_RowFile] = Field(min_length=1, max_length=MAX_ROWS)
    events: list[_EventFile] = Field(default_factory=list)


class _ContextEventFile(_Strict):
    at: AwareDatetime
    what: str
    confidence: Confidence
    source: str
    precision: Precision = Precision.DAY


class _InstrumentFile(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    kind: InstrumentKind
    subject: str
    parties: list[PartyCode] = Field(min_length=1)
    by: PartyCode | None = None
    events: list[_ContextEventFile] = Field(min_length=1)


def _topic_entry(value: str) -> str:
    if not value.strip():
        raise ValueError('a topic needs a description, e.g. "DPRK missile programme"')
    return value


class _File(_Strict):
    party: _PartyFile | None = None
    agreement: _AgreementFile | None = None
    topics: dict[str, Annotated[str, AfterValidator(_topic_entry)]] | None = None
    instrument: _InstrumentFile | None = None


def _key_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


@lru_cache(maxsize=64)
def _parse(name: str, text: str) -> _File:
    """One file's tables, checked. Kept for the same name and text: a node reads its stored
    agreement files again at every load, and the parsed tables are frozen."""
    try:
        raw = parse_toml(text, what=name)
    except InputError as exc:
        raise ScenarioError(str(exc).removeprefix(f"{name}: "), file=name) from exc
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc, name) from exc
    tables = [parsed.party, parsed.agreement, parsed.topics, parsed.instrument]
    if sum(table is not None for table in tables) != 1:
        raise ScenarioError(
            "a file holds exactly one [party], one [agreement], one [topics] or one "
            "[instrument] table",
            file=name,
        )
    return parsed


def _invalid(exc: ValidationError, name: str, prefix: tuple[str, ...] = ()) -> ScenarioError:
    """The first problem pydantic found, with its key path."""
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    return ScenarioError(message, file=name, key=_key_path((*prefix, *error["loc"])))


@contextmanager
def _placed(name: str, key: str) -> Iterator[None]:
    """Place an invariant a domain value refused in its file, at ``key`` (followed by the
    value's own key path, when the value names one)."""
    try:
        yield
    except InvariantError as exc:
        where = f"{key}.{exc.key}" if exc.key else key
        raise ScenarioError(str(exc), file=name, key=where) from exc


def _vocabulary(topics: dict[str, tuple[str, str]]) -> TopicVocabulary:
    """The vocabulary of every [topics] file; each topic's parent must be declared too."""
    for topic, (_, name) in topics.items():
        with _placed(name, f"topics.{topic}"):
            check_topic(topic)
        if topic == ALL_TOPICS:
            msg = "'*' is the scope of all topics, not a topic to declare"
            raise ScenarioError(msg, file=name, key="topics.*")
        up = parent(topic)
        if up != ALL_TOPICS and up not in topics:
            msg = f"declare its parent topic {up!r} too"
            raise ScenarioError(msg, file=name, key=f"topics.{topic}")
    return TopicVocabulary({topic: text for topic, (text, _) in topics.items()})


def _party(spec: _PartyFile, name: str) -> Party:
    with _placed(name, "party.levels"):
        scheme = ClassificationScheme(
            tuple(
                ClassificationLevel(
                    id=level.id, rank=level.rank, names=tuple(level.names), english=level.english
                )
                for level in spec.levels
            )
        )
    with _placed(name, "party.authorities"):
        authorities = tuple(
            CompetentAuthority(a.id, a.name, a.effective_from, a.effective_until)
            for a in spec.authorities
        )
    with _placed(name, "party.facilities"):
        facilities = tuple(Facility(f.id, f.name) for f in spec.facilities)
    for what, ids in (
        ("authorities", [a.id for a in authorities]),
        ("facilities", [f.id for f in facilities]),
    ):
        if len(set(ids)) != len(ids):
            raise ScenarioError(f"two {what} share an id", file=name, key=f"party.{what}")
    return Party(
        code=spec.code,
        name=spec.name,
        timezone=spec.timezone,
        scheme=scheme,
        authorities=authorities,
        facilities=facilities,
    )


def _agreement(spec: _AgreementFile, name: str) -> Agreement:
    rows = _rows(spec.equivalence, name, "agreement.equivalence")
    with _placed(name, "agreement.terms"):
        terms = Terms(
            timezone=spec.terms.timezone,
            term_years=spec.terms.term_years,
            auto_renew=spec.terms.auto_renew,
            notice_days=spec.terms.notice_days,
        )
    with _placed(name, "agreement"):
        return Agreement(
            id=spec.id,
            title=spec.title,
            kind=spec.kind,
            parties=tuple(spec.parties),
            hub=spec.hub,
            binding=spec.binding,
            scope=tuple(spec.scope),
            third_party_release_needs_approval=spec.third_party_release_needs_approval,
            purpose_change_needs_approval=spec.purpose_change_needs_approval,
            relay_needs_originator_consent=spec.relay_needs_originator_consent,
            assurance_before_provision=spec.assurance_before_provision,
            protection_from=tuple(spec.protection_from),
            classification_cap=spec.classification_cap,
            terms=terms,
            articles=spec.articles,
            equivalence=rows,
            events=tuple(_event(event, name, index) for index, event in enumerate(spec.events)),
        )


def _rows(spec: list[_RowFile], name: str, key: str) -> tuple[EquivalenceRow, ...]:
    rows = []
    for index, row in enumerate(spec):
        try:
            levels = row.levels()
        except ValueError as exc:  # a party's cell that is not a list of level ids
            raise ScenarioError(str(exc), file=name, key=f"{key}[{index}]") from exc
        with _placed(name, f"{key}[{index}]"):
            rows.append(EquivalenceRow(label=row.label, levels=levels))
    return tuple(rows)


def _event(spec: _EventFile, name: str, index: int) -> Event:
    key = f"agreement.events[{index}]"
    change = None
    if spec.amendment is not None:
        change = _amendment(spec.amendment, name, f"{key}.amendment")
    with _placed(name, key):
        return Event(spec.id, spec.kind, spec.at, spec.party, spec.source, change)


def _amendment(spec: _AmendmentFile, name: str, key: str) -> Amendment:
    rows = None if spec.equivalence is None else _rows(spec.equivalence, name, f"{key}.equivalence")
    with _placed(name, key):
        return Amendment(
            equivalence=rows,
            scope=None if spec.scope is None else tuple(spec.scope),
            classification_cap=spec.classification_cap,
            term_years=spec.term_years,
            notice_days=spec.notice_days,
        )


def amendment_from_data(raw: object, *, name: str) -> Amendment:
    """The terms an amendment changes (R-AMD-1) from parsed TOML or JSON: the keys of an
    agreement file's ``[agreement.events.amendment]`` table (a diplomatic note carries them
    as its event's ``amendment``). ScenarioError naming ``name`` and the key path
    (``amendment.scope[0]``) if they are malformed."""
    try:
        spec = _AmendmentFile.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc, name, ("amendment",)) from exc
    return _amendment(spec, name, "amendment")


def read_amendment(path: Path) -> Amendment:
    """The terms of an amendment file: one ``[amendment]`` table with the keys of an agreement
    file's ``[agreement.events.amendment]`` (R-AMD-1), read as strictly as agreement files."""
    name = str(path)
    try:
        raw = parse_toml(_read(path), what=name)
    except InputError as exc:
        raise ScenarioError(str(exc).removeprefix(f"{name}: "), file=name) from exc
    extra = sorted(set(raw) - {"amendment"})
    if extra:
        raise ScenarioError("unknown key", file=name, key=extra[0])
    if "amendment" not in raw:
        raise ScenarioError("an amendment file holds one [amendment] table", file=name)
    return amendment_from_data(raw["amendment"], name=name)


def _instrument(spec: _InstrumentFile, name: str) -> Instrument:
    events = []
    for index, event in enumerate(spec.events):
        with _placed(name, f"instrument.events[{index}]"):
            events.append(
                ContextEvent(
                    at=event.at,
                    what=event.what,
                    confidence=event.confidence,
                    source=event.source,
                    precision=event.precision,
                )
            )
    with _placed(name, "instrument"):
        return Instrument(
            id=spec.id,
            title=spec.title,
            kind=spec.kind,
            subject=spec.subject,
            parties=tuple(spec.parties),
            by=spec.by,
            events=tuple(events),
        )


def read_sources(directories: Sequence[Path], *, include_reference: bool = True) -> list[Source]:
    """The text of every ``*.toml`` file in the reference scenario and ``directories``."""
    sources: list[Source] = []
    for directory in [REFERENCE_DIR, *directories] if include_reference else directories:
        if not directory.is_dir():
            raise ScenarioError("not a directory of agreement files", file=str(directory))
        sources.extend(Source(str(path), _read(path)) for path in sorted(directory.glob("*.toml")))
    return sources


def _read(path: Path) -> str:
    """A file's text: a regular file (not a FIFO or a device, which could block or never
    end) of at most :data:`~pactshare.limits.MAX_SCENARIO_FILE` bytes, in UTF-8."""
    try:
        data = read_regular(path, MAX_SCENARIO_FILE)
    except InputError as exc:
        raise ScenarioError(str(exc), file=str(path)) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError("the file is not UTF-8 text", file=str(path)) from exc


def load_registry(directories: Sequence[Path] = (), *, include_reference: bool = True) -> Registry:
    """Load parties and agreements from the reference scenario and the given directories."""
    return registry_from_sources(read_sources(directories, include_reference=include_reference))


def _check_instruments(
    instruments: dict[str, tuple[Instrument, str]],
    agreements: dict[str, tuple[Agreement, str]],
    parties: dict[str, Party],
) -> None:
    """Every instrument's id is not an agreement's, and its parties are known."""
    for instrument, name in instruments.values():
        if instrument.id in agreements:
            where = agreements[instrument.id][1]
            msg = f"{instrument.id} is already the id of an agreement, in {where}"
            raise ScenarioError(msg, file=name, key="instrument.id")
        named = [(f"parties[{i}]", code) for i, code in enumerate(instrument.parties)]
        for key, code in [*named, ("by", instrument.by)]:
            if code is not None and code not in parties:
                msg = f"unknown party {code!r}; known: {', '.join(sorted(parties))}"
                raise ScenarioError(msg, file=name, key=f"instrument.{key}")


def registry_from_sources(sources: Iterable[Source]) -> Registry:
    """Parse party, agreement, topic and instrument files given as text.

    Ids and topics must be unique across all files; every agreement is checked against the
    parties and the topic vocabulary, every instrument against the parties.
    """
    parties: dict[str, tuple[Party, str]] = {}
    agreements: dict[str, tuple[Agreement, str]] = {}
    instruments: dict[str, tuple[Instrument, str]] = {}
    topics: dict[str, tuple[str, str]] = {}
    for name, text in sources:
        parsed = _parse(name, text)
        if parsed.topics is not None:
            for topic, description in parsed.topics.items():
                if topic in topics:
                    msg = f"topic {topic} is already defined in {topics[topic][1]}"
                    raise ScenarioError(msg, file=name, key=f"topics.{topic}")
                topics[topic] = (description, name)
        elif parsed.party is not None:
            party = _party(parsed.party, name)
            if party.code in parties:
                where = parties[party.code][1]
                msg = f"party {party.code} is already defined in {where}"
                raise ScenarioError(msg, file=name, key="party.code")
            parties[party.code] = (party, name)
        elif parsed.agreement is not None:
            agreement = _agreement(parsed.agreement, name)
            if agreement.id in agreements:
                where = agreements[agreement.id][1]
                msg = f"agreement {agreement.id} is already defined in {where}"
                raise ScenarioError(msg, file=name, key="agreement.id")
            agreements[agreement.id] = (agreement, name)
        elif parsed.instrument is not None:
            instrument = _instrument(parsed.instrument, name)
            if instrument.id in instruments:
                where = instruments[instrument.id][1]
                msg = f"instrument {instrument.id} is already defined in {where}"
                raise ScenarioError(msg, file=name, key="instrument.id")
            instruments[instrument.id] = (instrument, name)
    known_parties = {code: party for code, (party, _) in parties.items()}
    vocabulary = _vocabulary(topics)
    for agreement, name in agreements.values():
        problems = agreement_problems(agreement, known_parties, agreements, vocabulary)
        if problems:
            key, problem = problems[0]
            raise ScenarioError(problem, file=name, key=f"agreement.{key}")
    _check_instruments(instruments, agreements, known_parties)
    return Registry(
        parties=known_parties,
        agreements={agreement_id: a for agreement_id, (a, _) in agreements.items()},
        topics=vocabulary,
        instruments={instrument_id: i for instrument_id, (i, _) in instruments.items()},
    )
