"""Accountability (R-PRO-6, R-STO-1, R-FAC-1): where each holding is kept (facility,
container) and its custodian, every change kept; and the node's signed periodic inventories."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_inventory"
down_revision = "0008_envelope_fronts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("facility", sa.String(length=200), nullable=False),
        sa.Column("container", sa.String(length=200), nullable=False),
        sa.Column("custodian", sa.String(length=100), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
    )
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_locations_item_id"), ["item_id"], unique=False)
    op.create_table(
        "inventories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventories")),
    )


def downgrade() -> None:
    op.drop_table("inventories")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_locations_item_id"))
    op.drop_table("locations")
