"""Visits (R-VIS-1, R-SEC-1): each visit request given or received, with the visiting party's
signed document, and each party's signed approval or refusal; and the parties' notices that
designate or withdraw a competent authority (R-DEF-3)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_visits"
down_revision = "0010_contractors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authority_notices",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("authority_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("withdraw", sa.Boolean(), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authority_notices")),
    )
    with op.batch_alter_table("authority_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authority_notices_party"), ["party"], unique=False)
    op.create_table(
        "visits",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("visiting", sa.String(length=3), nullable=False),
        sa.Column("host", sa.String(length=3), nullable=False),
        sa.Column("facility", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facility_told_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    op.create_table(
        "visit_answers",
        sa.Column("visit_id", sa.String(length=100), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", "party", name=op.f("pk_visit_answers")),
    )


def downgrade() -> None:
    op.drop_table("visit_answers")
    op.drop_table("visits")
    with op.batch_alter_table("authority_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authority_notices_party"))
    op.drop_table("authority_notices")
