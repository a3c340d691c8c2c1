"""Contractors (R-CON-1): contractor facilities of the node's party, their security
inspections, the people attached to them with their briefing, and the items handed over."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_contractors"
down_revision = "0009_inventory"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contractors",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("facility", sa.String(length=200), nullable=False),
        sa.Column("protects", sa.Boolean(), nullable=False),
        sa.Column("registry", sa.Boolean(), nullable=False),
        sa.Column("custodian", sa.String(length=100), nullable=True),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contractors")),
    )
    op.create_table(
        "contractor_inspections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contractor_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("inspector", sa.String(length=100), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("next_due", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contractor_inspections")),
    )
    op.create_table(
        "contractor_staff",
        sa.Column("person", sa.String(length=100), nullable=False),
        sa.Column("contractor_id", sa.String(length=64), nullable=False),
        sa.Column("briefed_at", _WHEN, nullable=True),
        sa.Column("added_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("person", name=op.f("pk_contractor_staff")),
    )
    op.create_table(
        "contractor_handovers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("contractor_id", sa.String(length=64), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contractor_handovers")),
    )
    for table, column in (
        ("contractor_inspections", "contractor_id"),
        ("contractor_staff", "contractor_id"),
        ("contractor_handovers", "item_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def downgrade() -> None:
    for table in (
        "contractor_handovers",
        "contractor_staff",
        "contractor_inspections",
        "contractors",
    ):
        op.drop_table(table)
