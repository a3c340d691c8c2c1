"""A provided envelope is kept as its front (preamble, header and hop records, the hub's record
appended) beside the stored envelope whose payload it shares, instead of a second copy of that
payload in the object store. Envelopes stored before stay whole files."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_envelope_fronts"
down_revision = "0007_local_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "envelope_fronts",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("front", sa.LargeBinary(), nullable=False),
        sa.Column("payload_of", sa.String(length=64), nullable=False),
        sa.Column("payload_at", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest"], ["envelopes.digest"], name=op.f("fk_envelope_fronts_digest_envelopes")
        ),
        sa.ForeignKeyConstraint(
            ["payload_of"],
            ["envelopes.digest"],
            name=op.f("fk_envelope_fronts_payload_of_envelopes"),
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_envelope_fronts")),
    )


def downgrade() -> None:
    op.drop_table("envelope_fronts")
