"""A received envelope of at most ``pactshare.node.envelopes.MAX_INLINE`` bytes is kept in the
database, in the transaction that records its receipt, instead of a file (and its folder) in
the object store synced on its own. Envelopes stored before stay whole files."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_envelope_bytes"
down_revision = "0014_assurances"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "envelope_bytes",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest"], ["envelopes.digest"], name=op.f("fk_envelope_bytes_digest_envelopes")
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_envelope_bytes")),
    )


def downgrade() -> None:
    op.drop_table("envelope_bytes")
