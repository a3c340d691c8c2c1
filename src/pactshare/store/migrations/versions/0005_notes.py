"""Who may make which event: when a note was received, the parties' answers to notes, and the
registry's version (bumped by every change to what the registry is built from)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_notes"
down_revision = "0004_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreement_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
    # Notes recorded before: each counted from when this node recorded it, and still does.
    op.execute("UPDATE agreement_events SET received_at = recorded_at")
    op.create_table(
        "event_answers",
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "party", name=op.f("pk_event_answers")),
    )
    version = op.create_table(
        "registry_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_version")),
    )
    op.bulk_insert(version, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("registry_version")
    op.drop_table("event_answers")
    with op.batch_alter_table("agreement_events", schema=None) as batch_op:
        batch_op.drop_column("received_at")
