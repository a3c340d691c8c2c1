"""The node's local policy over an agreement (AT-26): each change of a classification cap, with
its reason, who set it and when; the latest one per agreement is in force."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_local_policy"
down_revision = "0006_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "local_policies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("previous_cap", sa.String(length=100), nullable=True),
        sa.Column("classification_cap", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_policies")),
    )
    with op.batch_alter_table("local_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_local_policies_agreement_id"), ["agreement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("local_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_policies_agreement_id"))
    op.drop_table("local_policies")
