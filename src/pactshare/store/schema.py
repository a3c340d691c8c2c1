"""The node's tables (SQLAlchemy Core). Migrations in ``migrations/`` build exactly this schema;
a test compares the two on every backend.

Nothing here holds plaintext: items are stored as sealed envelopes, by digest.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

__all__ = [
    "UtcDateTime",
    "access_log",
    "agreement_events",
    "approvals",
    "assurances",
    "audit_entries",
    "audit_heads",
    "audit_nodes",
    "authority_notices",
    "contractor_handovers",
    "contractor_inspections",
    "contractor_staff",
    "contractors",
    "cosignatures",
    "derivations",
    "envelope_bytes",
    "envelope_fronts",
    "envelopes",
    "event_answers",
    "federation_nonces",
    "forks",
    "inbound_messages",
    "incidents",
    "inventories",
    "items",
    "law_documents",
    "local_policies",
    "locations",
    "metadata",
    "outbox",
    "peer_info",
    "peers",
    "persons",
    "provisions",
    "receipts",
    "registry_version",
    "relays",
    "scenario_files",
    "sessions",
    "visit_answers",
    "visits",
    "witnessed_heads",
]

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware instant, stored in UTC and read back aware on every backend (SQLite too)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive instant {value.isoformat()} cannot be stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(name: str, *, nullable: bool = False) -> Column[datetime]:
    return Column(name, UtcDateTime(), nullable=nullable)


scenario_files = Table(  # the node's own copy of its party and agreement files
    "scenario_files",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("text", Text, nullable=False),  # the TOML file as loaded
    _when("loaded_at"),
)

agreement_events = Table(
    "agreement_events",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("agreement_id", String(100), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("party", String(3)),
    _when("at"),
    Column("source", Text, nullable=False),
    Column("note", JSON, nullable=False),  # the signed diplomatic note that records it
    _when("recorded_at"),
    # When the note was received (§5.1: it counts from then): ours on a note we received, the
    # receiver's acknowledgement on a note we gave (None until one arrives).
    _when("received_at", nullable=True),
)

event_answers = Table(  # parties' signed acceptances and rejections of notes (one per party)
    "event_answers",
    metadata,
    Column("event_id", String(100), primary_key=True),
    Column("party", String(3), primary_key=True),
    Column("agreement_id", String(100), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    _when("at"),  # the instant the answer counts from (its receipt, as for a note)
    Column("document", JSON, nullable=False),  # the signed acceptance or rejection
    _when("recorded_at"),
)

authority_notices = Table(  # parties' signed notices designating or withdrawing (R-DEF-3)
    "authority_notices",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("party", String(3), nullable=False, index=True),
    Column("authority_id", String(100), nullable=False),
    Column("name", Text, nullable=False),
    Column("withdraw", Boolean, nullable=False),
    _when("effective_at"),
    Column("document", JSON, nullable=False),  # the party's signed notice
    _when("recorded_at"),
)

law_documents = Table(  # parties' signed law inquiries and statements (R-LAW-1), one per id
    "law_documents",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("kind", String(20), nullable=False),  # law-inquiry | law-statement
    Column("agreement_id", String(100), nullable=False, index=True),
    Column("party", String(3), nullable=False),  # who signed it
    Column("counterpart", String(3), nullable=False),  # to whom
    Column("in_reply_to", String(100), nullable=True, unique=True),  # one answer per inquiry
    Column("document", JSON, nullable=False),
    _when("recorded_at"),
)

visits = Table(  # visit requests given and received (R-VIS-1, R-SEC-1), one per id
    "visits",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("agreement_id", String(100), nullable=False),
    Column("visiting", String(3), nullable=False),
    Column("host", String(3), nullable=False),
    Column("facility", String(100), nullable=False),
    _when("starts_at"),
    _when("ends_at"),
    Column("request", JSON, nullable=False),  # the visiting party's signed request
    _when("recorded_at"),
    _when("facility_told_at", nullable=True),  # when the host told the facility (R-VIS-1)
)

assurances = Table(  # assurances before hand-over given and received (R-ACC-4, Art. 7(5))
    "assurances",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("agreement_id", String(100), nullable=False),
    Column("receiving", String(3), nullable=False),  # the party that gave it
    Column("originating", String(3), nullable=False),  # the party it assures
    _when("valid_from"),
    _when("valid_until"),
    Column("document", JSON, nullable=False),  # the receiving party's signed assurance
    _when("recorded_at"),
    _when("withdrawn_at", nullable=True),
    Column("withdrawal", JSON),  # the receiving party's signed withdrawal
)

visit_answers = Table(  # each party's signed approval or refusal of a visit (one per party)
    "visit_answers",
    metadata,
    Column("visit_id", String(100), primary_key=True),
    Column("party", String(3), primary_key=True),
    Column("approved", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("document", JSON, nullable=False),
    _when("at"),
)

local_policies = Table(  # the node's own policy over an agreement, not a treaty rule (AT-26)
    "local_policies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement_id", String(100), nullable=False, index=True),
    Column("previous_cap", String(100)),  # the cap this change replaced (None: none)
    Column("classification_cap", String(100)),  # an equivalence row's label; None: no cap
    Column("reason", Text, nullable=False),
    Column("set_by", String(100), nullable=False),  # a person, or "operator"
    _when("at"),
)

registry_version = Table(  # one row: bumped by every change to what the registry is built from
    "registry_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)

envelopes = Table(
    "envelopes",
    metadata,
    Column("digest", String(64), primary_key=True),  # SHA-256 of the envelope bytes, hex
    Column("size", Integer, nullable=False),
    _when("stored_at"),
)

envelope_fronts = Table(  # a relayed envelope kept as its own front and another's payload
    "envelope_fronts",
    metadata,
    Column("digest", String(64), ForeignKey("envelopes.digest"), primary_key=True),
    Column("front", LargeBinary, nullable=False),  # preamble, header and hop records
    # The stored envelope whose chunk records and trailer follow, from byte ``payload_at``.
    Column("payload_of", String(64), ForeignKey("envelopes.digest"), nullable=False),
    Column("payload_at", Integer, nullable=False),
)

envelope_bytes = Table(  # a small received envelope, kept whole with its receipt's records
    "envelope_bytes",
    metadata,
    Column("digest", String(64), ForeignKey("envelopes.digest"), primary_key=True),
    Column("data", LargeBinary, nullable=False),  # the envelope's bytes (at most MAX_INLINE)
)

items = Table(
    "items",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("originator", String(3), nullable=False),
    Column("label", JSON, nullable=False),  # the verified label, as signed by the originator
    Column("envelope", String(64), ForeignKey("envelopes.digest"), nullable=False),
    Column("origin", String(20), nullable=False),  # registered | received
    Column("received_from", String(3)),
    Column("received_under", String(100)),
    Column("marking_level", String(64), nullable=False),  # our own equivalent level id
    Column("marking", String(200), nullable=False),  # e.g. "KOR / 極秘 (SECRET)" (R-MARK-1)
    Column("state", String(20), nullable=False),  # held | destroyed | returned
    Column("needs_remarking", Boolean, nullable=False, default=False),
    Column("derived_from", String(64)),
    Column("disposal", JSON),  # the signed certificate of return or destruction (R-PRO-8)
    _when("recorded_at"),
)

locations = Table(  # where each holding is kept and who answers for it (R-PRO-6, R-FAC-1)
    "locations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(64), nullable=False, index=True),
    Column("facility", String(200), nullable=False),
    Column("container", String(200), nullable=False),
    Column("custodian", String(100), nullable=False),  # a person of the node
    Column("set_by", String(100), nullable=False),
    _when("at"),
)

inventories = Table(  # the periodic inventories, each signed by the node (R-PRO-6)
    "inventories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _when("at"),
    Column("document", JSON, nullable=False),
)

contractors = Table(  # contractor facilities of the node's party (R-CON-1)
    "contractors",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("facility", String(200), nullable=False),
    Column("protects", Boolean, nullable=False),  # (b) able to protect the CMI
    Column("registry", Boolean, nullable=False),  # (i) keeps an access registry
    Column("custodian", String(100)),  # (j) a designated custodian, a person of the node
    Column("added_by", String(100), nullable=False),
    _when("added_at"),
)

contractor_inspections = Table(  # (g) initial and periodic security inspections
    "contractor_inspections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("contractor_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # initial | periodic
    Column("passed", Boolean, nullable=False),
    Column("inspector", String(100), nullable=False),
    _when("at"),
    _when("next_due"),
)

contractor_staff = Table(  # people of the node attached to a contractor facility
    "contractor_staff",
    metadata,
    Column("person", String(100), primary_key=True),
    Column("contractor_id", String(64), nullable=False, index=True),
    _when("briefed_at", nullable=True),  # (f) briefed on their responsibilities
    _when("added_at"),
)

contractor_handovers = Table(  # items handed over to a contractor facility
    "contractor_handovers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(64), nullable=False, index=True),
    Column("contractor_id", String(64), nullable=False),
    Column("by", String(100), nullable=False),
    _when("at"),
)

derivations = Table(  # copies and translations made here (R-REP-1, R-TRA-1)
    "derivations",
    metadata,
    Column("item_id", String(64), ForeignKey("items.id"), primary_key=True),  # the derived item
    Column("original", String(64), ForeignKey("items.id"), nullable=False),
    Column("number", Integer, nullable=False),  # 1, 2, ... up to the original's copy_limit
    Column("kind", String(20), nullable=False),  # copy | translation
    Column("language", String(3)),  # a translation's target language
    Column("made_by", String(100), nullable=False),  # the cleared person who made it
    _when("made_at"),
    # One number per original: two copies made at once cannot both take the last one.
    UniqueConstraint("original", "number", name="uq_derivations_original_number"),
)

persons = Table(
    "persons",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("clearance", String(64)),
    Column("need_to_know", JSON, nullable=False),
    Column("roles", JSON, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    _when("clearance_expires", nullable=True),
    _when("created_at"),
    _when("token_expires"),  # real time, like every credential's lifetime
    _when("token_revoked_at", nullable=True),
)

sessions = Table(  # dashboard sign-ins: the cookie holds the id, this table only its hash
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("person", String(100), ForeignKey("persons.name"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    _when("created_at"),
    _when("expires_at"),
)

access_log = Table(  # the facility's access registry (R-PRO-5)
    "access_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # not a foreign key: an attempt at an item the node does not hold is recorded too
    Column("item_id", String(64), nullable=False, index=True),
    Column("person", String(100), nullable=False),
    _when("at"),
    Column("granted", Boolean, nullable=False),
    Column("reasons", JSON, nullable=False),
)

approvals = Table(  # originators' written approvals (R-PRO-1/2, R-TISA-6)
    "approvals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("item_id", String(64), index=True),
    Column("originator", String(3), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("subject", String(200), nullable=False),
    _when("recorded_at"),
    _when("revoked_at", nullable=True),
    Column("document", JSON, nullable=False),  # the signed approval
)

provisions = Table(
    "provisions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("item_id", String(64), ForeignKey("items.id"), nullable=False, index=True),
    Column("recipient", String(3), nullable=False),
    _when("decided_at"),
    Column("outcome", String(20), nullable=False),
    Column("decision", JSON, nullable=False),
    Column("manifest", JSON, nullable=False),  # the signed manifest: a package can be rebuilt
    Column("state", String(20), nullable=False),  # queued | packaging | packaged | delivered
)

receipts = Table(
    "receipts",
    metadata,
    Column("package_id", String(64), primary_key=True),  # one effect per package (idempotent)
    Column("item_id", String(64), ForeignKey("items.id"), nullable=False),
    Column("sender", String(3), nullable=False),
    Column("receipt", JSON, nullable=False),  # our signed receipt
    _when("received_at"),
)

incidents = Table(  # loss or compromise (R-INC-1): suspected → confirmed | ruled-out → closed
    "incidents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("item_id", String(64), ForeignKey("items.id"), nullable=False, index=True),
    Column("originator", String(3), nullable=False),
    Column("state", String(20), nullable=False),
    Column("summary", Text, nullable=False),
    Column("history", JSON, nullable=False),  # every step, with its time and notice
    Column("report", JSON),  # the close-out report: findings and measures
    _when("reported_at"),
    _when("closed_at", nullable=True),
)

outbox = Table(  # what a workflow decided to send; delivered by the federation worker
    "outbox",
    metadata,
    Column("id", String(64), primary_key=True),  # the message id: unique, for idempotency
    Column("kind", String(40), nullable=False),
    Column("recipient", String(3), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("envelope", String(64), ForeignKey("envelopes.digest")),
    _when("created_at"),
    Column("attempts", Integer, nullable=False, default=0),
    _when("next_attempt_at", nullable=True),
    Column("last_error", Text),
    _when("delivered_at", nullable=True),
    Column("state", String(20), nullable=False, index=True, server_default="pending"),
    Column("receipt", JSON),  # the receiver's signed receipt or acknowledgement
)  # state: pending | delivered | refused (the receiver's policy said no: never retried)

peers = Table(  # where each peer party's node answers; its keys come from the pinned directory
    "peers",
    metadata,
    Column("party", String(3), primary_key=True),
    Column("url", String(500), nullable=False),
    _when("added_at"),
)

peer_info = Table(  # what each peer last said it speaks: its signed info, re-verified on read
    "peer_info",
    metadata,
    Column("party", String(3), primary_key=True),
    Column("document", JSON, nullable=False),  # the signed node-info document, as answered
    _when("fetched_at"),  # real time: the cache is refreshed after a while, or on a failure
)

federation_nonces = Table(  # nonces of signed requests seen within the freshness window
    "federation_nonces",
    metadata,
    Column("nonce", String(100), primary_key=True),
    Column("key_id", String(100), nullable=False),
    Column("seen_at", UtcDateTime(), nullable=False, index=True),
)

inbound_messages = Table(  # messages from peers already applied: one effect per message id
    "inbound_messages",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("sender", String(3), nullable=False),
    Column("document", JSON),  # the signed document received (items: in ``receipts``)
    Column("receipt", JSON, nullable=False),  # what we answered (answered again on a repeat)
    _when("received_at"),
)

relays = Table(  # a hub's onward release waiting for the originator's approval (R-TISA-6)
    "relays",
    metadata,
    Column("item_id", String(64), ForeignKey("items.id"), primary_key=True),
    Column("final_recipient", String(3), primary_key=True),
    Column("originator", String(3), nullable=False),
    Column("state", String(20), nullable=False),  # awaiting-consent | provided | refused
    _when("requested_at"),
    Column("provision_id", String(64)),
    Column("last_error", Text),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),  # 0-based leaf index
    Column("kind", String(40), nullable=False),
    _when("at"),
    Column("data", LargeBinary, nullable=False),  # the canonical entry bytes (the leaf)
)

audit_nodes = Table(  # perfect-subtree hashes, written once when completed
    "audit_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("size", Integer, primary_key=True, autoincrement=False),
    Column("head", JSON, nullable=False),  # the signed tree head
    _when("signed_at"),
)

witnessed_heads = Table(  # heads of peers' logs we know: cosigned by us, or told by a witness
    "witnessed_heads",
    metadata,
    Column("party", String(3), primary_key=True),  # whose log
    Column("size", Integer, primary_key=True, autoincrement=False),
    Column("via", String(3), primary_key=True),  # who showed it: the party itself, or a witness
    Column("root", String(64), nullable=False),  # hex, to compare heads of one size
    Column("head", JSON, nullable=False),  # the signed head (our cosignature, when direct)
    _when("seen_at"),
)

cosignatures = Table(  # witnesses' cosignatures of our own signed heads
    "cosignatures",
    metadata,
    Column("witness", String(3), primary_key=True),
    Column("size", Integer, primary_key=True, autoincrement=False),
    Column("head", JSON, nullable=False),  # our head with the witness's cosignature
    _when("received_at"),
)

forks = Table(  # a peer's log seen with two histories: the evidence, kept for anyone to check
    "forks",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the evidence: one row per fork
    Column("party", String(3), nullable=False, index=True),  # whose log forked
    Column("reported_by", String(3), nullable=False),  # who showed us the conflicting head
    Column("reason", Text, nullable=False),
    Column("evidence", JSON, nullable=False),  # both signed heads (and any proof given)
    _when("detected_at"),
)
