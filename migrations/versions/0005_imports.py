"""Imports and restores: where each imported comment came from, and the database's own key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Nothing existing changes: comments written here have no source (NULL, which a unique
constraint allows any number of times); the site's key is made when first needed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add comments.source (a unique index: SQLite adds it without rebuilding the table) and site_identity."""
    op.add_column("comments", sa.Column("source", sa.String(300), nullable=True))
    op.create_index("comments_source", "comments", ["source"], unique=True)
    op.create_table(
        "site_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Drop what upgrade added (which comment was imported from where is forgotten)."""
    op.drop_table("site_identity")
    op.drop_index("comments_source", table_name="comments")
    with op.batch_alter_table("comments", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("source")
