"""Credentials that end: every person's token gets an expiry (tokens issued before this
migration expire 90 days after it) and may be revoked; dashboard sessions are kept here
(their ids only as hashes); the access registry also records attempts at items the node
does not hold (its foreign key to items is dropped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0006_sessions"
down_revision = "0005_notes"
branch_labels = None
depends_on = None

EXISTING_TOKENS_DAYS = 90  # the default lifetime of a new token (pactshare.node.people)


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_expires", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("token_revoked_at", sa.DateTime(timezone=True)))
    persons = sa.table("persons", sa.column("token_expires", sa.DateTime(timezone=True)))
    expires = datetime.now(UTC) + timedelta(days=EXISTING_TOKENS_DAYS)
    op.execute(persons.update().values(token_expires=expires))
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.alter_column(
            "token_expires", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("person", sa.String(length=100), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person"], ["persons.name"], name=op.f("fk_sessions_person_persons")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_person"), ["person"], unique=False)
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_access_log_item_id_items"), type_="foreignkey")
