"""Witnessing: peers' heads we know (cosigned or gossiped), cosignatures of our heads, and
the evidence of forks detected in peers' logs."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_witnessing"
down_revision = "0002_federation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "witnessed_heads",
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("via", sa.String(length=3), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("head", sa.JSON(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("party", "size", "via", name=op.f("pk_witnessed_heads")),
    )
    op.create_table(
        "cosignatures",
        sa.Column("witness", sa.String(length=3), nullable=False),
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("head", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("witness", "size", name=op.f("pk_cosignatures")),
    )
    op.create_table(
        "forks",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("reported_by", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forks")),
    )
    with op.batch_alter_table("forks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forks_party"), ["party"], unique=False)
