"""Readers' notices: subscriptions made with a comment, each address's double opt-in.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

Nothing existing changes: no reader has asked for anything yet. The outbox's events gain an
index by comment (a notice is sent on a comment's first approval only, which they tell).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str, nullable: bool = False) -> sa.Column[sa.DateTime]:
    """A timezone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Add the subscriptions and reader_consents tables and the outbox's index by comment."""
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        timestamp("created_at"),
        sa.CheckConstraint("kind IN ('approval', 'replies')", name="subscriptions_kind_valid"),
        sa.UniqueConstraint("comment_id", "kind", name="subscriptions_unique"),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reader_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_digest", sa.String(64), nullable=False),
        timestamp("created_at"),
        timestamp("asked_at", nullable=True),
        timestamp("confirmed_at", nullable=True),
        timestamp("stopped_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email_digest"),
    )
    op.create_index("outbox_events_by_comment", "outbox_events", ["comment_id"])


def downgrade() -> None:
    """Drop what upgrade added (readers' subscriptions and confirmations are lost)."""
    op.drop_index("outbox_events_by_comment", table_name="outbox_events")
    op.drop_table("reader_consents")
    op.drop_table("subscriptions")
