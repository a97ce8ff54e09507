"""Roles and last log-in for moderators, labels and expiry for tokens, and the scheduled jobs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

Every moderator of a site that upgrades becomes an admin: until now each could do
everything, and taking a right away on upgrade would lock a site out of its own rules.
New moderators are `moderator` unless made otherwise (create-moderator makes a new
site's first one an admin). On SQLite the moderators table is copied (batch mode) to
gain its CHECK constraint; env.py keeps foreign keys off meanwhile, so nothing cascades.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # a job never run is due at once


def upgrade() -> None:
    """Add the columns and the scheduled_jobs table; make every existing moderator an admin."""
    with op.batch_alter_table("moderators") as batch:
        batch.add_column(sa.Column("role", sa.String(16), server_default="moderator", nullable=False))
        batch.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint("moderators_role_valid", "role IN ('admin', 'moderator')")
    op.execute("UPDATE moderators SET role = 'admin'")
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("label", sa.String(100), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_api_tokens_moderator_id", "api_tokens", ["moderator_id"])
    jobs = op.create_table(
        "scheduled_jobs",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(jobs, [{"name": "purge", "next_run_at": EPOCH, "last_run_at": None}])


def downgrade() -> None:
    """Drop what upgrade added (roles, last log-ins, labels, expiry dates and the schedule are lost)."""
    op.drop_table("scheduled_jobs")
    op.drop_index("ix_api_tokens_moderator_id", table_name="api_tokens")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("last_used_at")
        batch.drop_column("label")
    with op.batch_alter_table("moderators") as batch:
        batch.drop_constraint("moderators_role_valid", type_="check")
        batch.drop_column("last_login_at")
        batch.drop_column("role")
