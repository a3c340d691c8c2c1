"""Copies and translations a holder made of an item (R-REP-1, R-TRA-1): one row per derived
item, numbered per original so that none is made beyond the originator's copy limit."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_copies"
down_revision = "0011_visits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derivations",
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("original", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=True),
        sa.Column("made_by", sa.String(length=100), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_derivations_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["original"], ["items.id"], name=op.f("fk_derivations_original_items")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_derivations")),
        sa.UniqueConstraint("original", "number", name="uq_derivations_original_number"),
    )


def downgrade() -> None:
    op.drop_table("derivations")
