"""Readers' reports of comments, and the language each comment was written in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

Nothing existing changes: no comment has been reported yet, and a comment stored before
this revision has no language (NULL: emails about it use the site's default language).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the reports table and comments.lang (SQLite adds a column without rebuilding the table)."""
    op.add_column("comments", sa.Column("lang", sa.String(16), nullable=True))
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("reason IN ('spam', 'abuse', 'off-topic', 'other')", name="reports_reason_valid"),
        sa.UniqueConstraint("comment_id", "reader", name="reports_once_per_reader"),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("reports_open", "reports", ["comment_id", "dismissed_at"])


def downgrade() -> None:
    """Drop what upgrade added (reports and languages are forgotten)."""
    op.drop_index("reports_open", table_name="reports")
    op.drop_table("reports")
    with op.batch_alter_table("comments", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("lang")
