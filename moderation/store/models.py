"""The typed SQLAlchemy models: articles, comments, moderators, tokens, audit, limits.

Emails are stored only encrypted (with the id of the key that sealed them) next to a
keyed digest for look-ups; `schema.sql` is generated from these classes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from moderation.core.credentials import MODERATOR, ROLES
from moderation.core.status import Status


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use moderation.shared.now()")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Attach UTC where the database returned a naive value (SQLite)."""
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    """Declarative base for every table."""


STORED_STATUSES = ", ".join(f"'{status}'" for status in Status if status is not Status.DELETED)


class Article(Base):
    """A page that comments belong to, created on its first submission."""

    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    closed: Mapped[bool] = mapped_column(default=False)
    # None: the site-wide MODERATION_PREMODERATION applies.
    premoderation: Mapped[str | None] = mapped_column(String(16))
    # Bumped in the same transaction as any change to the approved set; the public ETag is a
    # keyed digest of (id, version), so it says nothing about when or how often.
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When its first comment was approved: the "close after N days" clock starts here, so
    # submissions nobody approved (spam, a bot's) cannot close an article early.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Comment(Base):
    """One submission, whatever its state."""

    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(f"status IN ({STORED_STATUSES})", name="comments_status_valid"),
        # Finds a resubmission of the same text; whether it is the same author is proven by the
        # commenter key or the client address, never by the email (which would be an oracle).
        Index("comments_same_body", "article_id", "body_digest"),
        Index("comments_public", "article_id", "status", "id"),
        Index("comments_queue", "status", "id"),
        Index("comments_author", "email_digest", "status", "commenter_key_hash"),
        Index("comments_by_time", "status", "created_at"),
        Index("comments_source", "source", unique=True),
        # Ids are never reused after a delete: cursors and the audit log refer to them.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(300))
    author_name: Mapped[str] = mapped_column(String(100))
    author_website: Mapped[str | None] = mapped_column(String(200))
    email_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    email_key_id: Mapped[str] = mapped_column(String(16))
    email_digest: Mapped[str] = mapped_column(String(64))
    avatar: Mapped[str] = mapped_column(String(16))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    body_digest: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    # SHA-256 of the commenter key sent with it: proof of who wrote it (see policy).
    commenter_key_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Columns added by a migration come last, where ALTER TABLE puts them.
    # Where an imported comment came from ("wxr:<site>#<id>", "disqus:<id>"…): importing again adds nothing.
    source: Mapped[str | None] = mapped_column(String(300))
    # The language the reader wrote in (a BCP 47 tag such as "de"): emails about it use it.
    lang: Mapped[str | None] = mapped_column(String(16))


class Moderator(Base):
    """A person who may log in to the queue; the password is stored as a slow hash.

    An admin also manages the team, the rules and readers' personal data; a moderator
    works the queue and the articles (see `core.credentials.ROLES`).
    """

    __tablename__ = "moderators"
    __table_args__ = (CheckConstraint(f"role IN ({', '.join(repr(role) for role in ROLES)})",
                                      name="moderators_role_valid"),
                      CheckConstraint("notify IN ('each', 'digest', 'none')", name="moderators_notify_valid"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Columns added by a migration come last, where ALTER TABLE puts them.
    # The least privilege when nobody says otherwise; create-moderator makes a new site's first one an admin.
    role: Mapped[str] = mapped_column(String(16), server_default=MODERATOR)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where held comments are announced (staff addresses, in the clear), and how: each, digest or none.
    email: Mapped[str | None] = mapped_column(String(254))
    notify: Mapped[str] = mapped_column(String(8), server_default="each")
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ModeratorSession(Base):
    """One log-in on one browser: the cookie holds a secret, this row its hash, until log-out."""

    __tablename__ = "moderator_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderators.id", ondelete="CASCADE"), index=True)
    # A digest of the password hash at log-in: any password change ends the session.
    password_fp: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A bearer token for the moderation API, stored only as its SHA-256; it may expire."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderators.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    label: Mapped[str | None] = mapped_column(String(100))
    # Refreshed at most once a minute (`moderators.TOKEN_SEEN_EVERY`), not written on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who did what to which comment, and when; kept after the comment is deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("audit_by_time", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id", ondelete="SET NULL"))
    moderator_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    comment_id: Mapped[int | None] = mapped_column(Integer)
    article_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str | None] = mapped_column(String(500))
    via: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RateCounter(Base):
    """A fixed-window rate-limit counter shared by every worker using this database."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)


class WordEntry(Base):
    """A word or phrase on the hold list or the spam list (WordPress's moderation keys)."""

    __tablename__ = "word_lists"
    __table_args__ = (
        CheckConstraint("list IN ('hold', 'spam')", name="word_lists_list_valid"),
        UniqueConstraint("list", "word", name="word_lists_unique"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list: Mapped[str] = mapped_column(String(8))
    word: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Block(Base):
    """A blocked IP address or range (CIDR), or a blocked email by its keyed digest."""

    __tablename__ = "blocks"
    __table_args__ = (
        CheckConstraint("kind IN ('ip', 'email')", name="blocks_kind_valid"),
        UniqueConstraint("kind", "value", name="blocks_unique"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FormTokenUse(Base):
    """A form token's nonce, once a submission has used it: one token serves one comment."""

    __tablename__ = "form_token_uses"
    __table_args__ = (Index("form_token_uses_by_expiry", "expires_at"),)

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


PURGE_JOB = "purge"
JOBS = (PURGE_JOB,)  # each has its row from the start (migration 0002, create_schema)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # a job that never ran is due at once


class ScheduledJob(Base):
    """When a job that runs on its own (the retention purge) is next due.

    Every worker of every instance looks at this row; the one whose UPDATE moves
    `next_run_at` forward runs the job, so it runs once per period however many there are.
    """

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SiteIdentity(Base):
    """One row: this database's own random key, which its JSON export carries, so that restoring
    the export into the same database (or into an empty one, which takes the key) finds what is
    already there by id."""

    __tablename__ = "site_identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RulesVersion(Base):
    """One row whose number changes with every edit of the word lists or blocks.

    Each process keeps its compiled rules until this number moves.
    """

    __tablename__ = "rules_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


# The outbox's tables live in a module of their own; importing it puts them on Base.
from moderation.store import outbox_models  # noqa: E402,F401
from moderation.store import reader_models  # noqa: E402,F401
from moderation.store import report_models  # noqa: E402,F401
