"""Assurances before hand-over (R-ACC-4, Art. 7(5); AT-16): each assurance a party gave or
received, with the receiving party's signed document, and its signed withdrawal if any."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_assurances"
down_revision = "0013_laws"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assurances",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("receiving", sa.String(length=3), nullable=False),
        sa.Column("originating", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawal", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assurances")),
    )


def downgrade() -> None:
    op.drop_table("assurances")
