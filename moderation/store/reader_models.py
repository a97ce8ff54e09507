"""Readers' notices: what a reader asked for with a comment, and each address's double opt-in.

A subscription belongs to one comment (it goes with it): "approval" asks to hear when that
comment is published, "replies" when a reply to it is. Whether an address may be mailed at
all is its consent row, kept by the address's keyed digest only: asked (a confirmation mail
was planned, at most one a day), confirmed (the reader pressed the button of one), stopped
(the reader asked for no more email). Imported by `store.models`, so every table is on Base.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from moderation.store.models import Base, UTCDateTime

KINDS = ("approval", "replies")


class Subscription(Base):
    """A reader's wish, made with one comment: to hear when it is published, or when a reply to it is."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(kind) for kind in KINDS)})", name="subscriptions_kind_valid"),
        UniqueConstraint("comment_id", "kind", name="subscriptions_unique"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReaderConsent(Base):
    """One address's double opt-in, by its keyed digest: asked, confirmed, stopped."""

    __tablename__ = "reader_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
