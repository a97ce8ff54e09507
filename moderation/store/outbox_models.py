"""The outbox's tables: events written with the change that causes them, and their deliveries.

An event is one row in the transaction of the change (a new comment, an approval…): a
crash loses none, a rolled-back change leaves none. The worker fans each event out into
deliveries — one per recipient and channel, each retried on its own — and marks it
dispatched in the same transaction. Imported by `store.models`, so every table is on Base.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from moderation.store.models import Base, UTCDateTime

DELIVERY_STATES = ("pending", "delivered", "failed", "dropped")


class OutboxEvent(Base):
    """Something that happened to a comment, with a snapshot of it taken in the same transaction."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("outbox_events_undispatched", "dispatched_at", "id"),
                      Index("outbox_events_by_comment", "comment_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(32))  # comment.created, comment.approved, …
    comment_id: Mapped[int | None] = mapped_column(Integer)
    article_id: Mapped[str | None] = mapped_column(String(128))
    # JSON: the comment as it was (public fields, state, reason, text; never an email or IP).
    snapshot: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One message to one recipient on one channel: tried, retried with backoff, then delivered or failed."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(state) for state in DELIVERY_STATES)})",
                        name="deliveries_status_valid"),
        Index("deliveries_due", "status", "next_attempt_at"),
        Index("deliveries_by_time", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email, webhook, spamcheck
    # Who: "moderator:7", "webhook:3"…, resolved when sent (a removed recipient gets nothing).
    target: Mapped[str] = mapped_column(String(64))
    # Sent with the message (Message-ID, webhook-id): the receiver's key to drop a duplicate.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A claim: until then one worker is sending it; a worker killed meanwhile lets it lapse.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ActionLink(Base):
    """A one-click moderation link mailed to one moderator: one comment, one action, used once.

    Only the hash of the link's secret is kept; the row goes with its moderator.
    """

    __tablename__ = "action_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the link's secret
    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderators.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Webhook(Base):
    """An endpoint that receives signed events (Standard Webhooks); its secret is kept sealed."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(String(300))  # comma-separated event names
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    secret_key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
