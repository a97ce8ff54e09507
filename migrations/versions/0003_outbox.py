"""The outbox: events and their deliveries; moderators' email and notice choice; one-click links; webhooks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

Nothing existing changes meaning: moderators gain an empty email address (so no notice is
sent until one is set) and the choice "each", the default once an address is set.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str, nullable: bool = False) -> sa.Column[sa.DateTime]:
    """A timezone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Add the outbox's tables, the links and webhooks tables, and the moderators' notice columns."""
    with op.batch_alter_table("moderators") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch.add_column(sa.Column("notify", sa.String(8), server_default="each", nullable=False))
        batch.add_column(timestamp("digest_sent_at", nullable=True))
        batch.create_check_constraint("moderators_notify_valid", "notify IN ('each', 'digest', 'none')")
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("article_id", sa.String(128), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=False),
        timestamp("created_at"),
        timestamp("dispatched_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("outbox_events_undispatched", "outbox_events", ["dispatched_at", "id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        timestamp("next_attempt_at"),
        timestamp("locked_until", nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        timestamp("created_at"),
        timestamp("delivered_at", nullable=True),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed', 'dropped')", name="deliveries_status_valid"),
        sa.ForeignKeyConstraint(["event_id"], ["outbox_events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sqlite_autoincrement=True,
    )
    op.create_index("deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("deliveries_by_time", "deliveries", ["created_at"])
    op.create_index("ix_deliveries_event_id", "deliveries", ["event_id"])
    op.create_table(
        "action_links",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        timestamp("created_at"),
        timestamp("expires_at"),
        timestamp("used_at", nullable=True),
        sa.ForeignKeyConstraint(["moderator_id"], ["moderators.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_action_links_moderator_id", "action_links", ["moderator_id"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("events", sa.String(300), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("secret_key_id", sa.String(16), nullable=False),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Drop what upgrade added (queued and sent notices, links, webhooks and addresses are lost)."""
    for table in ("webhooks", "action_links", "deliveries", "outbox_events"):
        op.drop_table(table)
    with op.batch_alter_table("moderators") as batch:
        batch.drop_constraint("moderators_notify_valid", type_="check")
        batch.drop_column("digest_sent_at")
        batch.drop_column("notify")
        batch.drop_column("email")
