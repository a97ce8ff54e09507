"""Readers' reports of published comments: one per reader and comment, with a short reason.

A reader is a keyed digest of the client (never the address itself); the unique constraint
is what deduplicates, so two simultaneous reports from one reader count once. A moderator
who dismisses a comment's reports marks them (they still count as made, so the same readers
cannot hold it again), and only reports not dismissed count towards the threshold.
Imported by `store.models`, so every table is on Base.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from moderation.core.reports import MAX_NOTE, REASONS
from moderation.store.models import Base, UTCDateTime

__all__ = ["MAX_NOTE", "REASONS", "Report"]


class Report(Base):
    """One reader's report of one comment."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(f"reason IN ({', '.join(repr(reason) for reason in REASONS)})", name="reports_reason_valid"),
        UniqueConstraint("comment_id", "reader", name="reports_once_per_reader"),
        Index("reports_open", "comment_id", "dismissed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    reader: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
