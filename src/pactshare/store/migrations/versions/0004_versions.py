"""Versions: what each peer last said it speaks (its signed ``node-info``), so that delivery
sends a peer only the message kinds it announces."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_versions"
down_revision = "0003_witnessing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peer_info",
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("party", name=op.f("pk_peer_info")),
    )
