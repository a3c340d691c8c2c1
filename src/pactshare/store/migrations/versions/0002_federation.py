"""Federation: the outbox's delivery state and the receiver's signed receipt; peers (where
each party's node answers); nonces seen on signed requests (replay protection); inbound
messages already applied (one effect per message id); relays a hub holds until consent."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_federation"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=20), nullable=False, server_default="pending")
        )
        batch_op.add_column(sa.Column("receipt", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_state"), ["state"], unique=False)
    op.create_table(
        "peers",
        sa.Column("party", sa.String(length=3), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("party", name=op.f("pk_peers")),
    )
    op.create_table(
        "federation_nonces",
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("key_id", sa.String(length=100), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_federation_nonces")),
    )
    with op.batch_alter_table("federation_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_federation_nonces_seen_at"), ["seen_at"], unique=False)
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("sender", sa.String(length=3), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("receipt", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
    )
    op.create_table(
        "relays",
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("final_recipient", sa.String(length=3), nullable=False),
        sa.Column("originator", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provision_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_relays_item_id_items")),
        sa.PrimaryKeyConstraint("item_id", "final_recipient", name=op.f("pk_relays")),
    )


def downgrade() -> None:
    op.drop_table("relays")
    op.drop_table("inbound_messages")
    with op.batch_alter_table("federation_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_federation_nonces_seen_at"))
    op.drop_table("federation_nonces")
    op.drop_table("peers")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_state"))
        batch_op.drop_column("receipt")
        batch_op.drop_column("state")
