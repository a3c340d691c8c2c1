"""National laws (R-LAW-1): each party's signed inquiry about another's laws covering the
protection of the information, and each signed statement of those laws (one per inquiry)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_laws"
down_revision = "0012_copies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "law_documents",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("counterpart", sa.String(length=3), nullable=False),
        sa.Column("in_reply_to", sa.String(length=100), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_law_documents")),
        sa.UniqueConstraint("in_reply_to", name=op.f("uq_law_documents_in_reply_to")),
    )
    with op.batch_alter_table("law_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_law_documents_agreement_id"), ["agreement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("law_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_law_documents_agreement_id"))
    op.drop_table("law_documents")
