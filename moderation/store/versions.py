"""An article's public version, whether it is closed, and the opaque ETag made of both.

Every change to an article's approved set moves its `version` in the same transaction
(`bump_version`); the public list and its 304s are answered from this one lookup. The
list also says whether the article takes comments, which a moderator changes (closing
or reopening it) and the clock changes (`CLOSE_AFTER_DAYS`) without touching the
version: so the closed state is part of the ETag and of every cached page's key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from moderation.core.policy import comments_closed
from moderation.shared import now, shared
from moderation.store.database import HotQuery
from moderation.store.models import Article

ARTICLE_VERSION = select(Article.version, Article.opened_at, Article.closed).where(Article.id == bindparam("article_id"))


class Public(NamedTuple):
    """What the public list of an article depends on, and the ETag made of it."""

    version: int  # 0 until a comment is approved
    closed: bool  # closed to new comments, by a moderator or by CLOSE_AFTER_DAYS
    etag: str


class PublicVersions:
    """An article's version and the opaque ETag made of it, in one primary-key lookup.

    The ETag is a keyed digest of (article, version, when its first comment was approved):
    it changes with the approved set, says nothing about when or how often, is the same for
    every article with nothing public (nothing to tell apart), and differs between two
    databases that happen to reach the same version (a copy from the old one is never 304).
    """

    def __init__(self, engine: Engine, secret_key: str, close_after_days: int = 0) -> None:
        self._query = HotQuery(engine, ARTICLE_VERSION)
        self._close_after_days = close_after_days
        self._key = hashlib.blake2b(secret_key.encode(), digest_size=32, person=b"public etag").digest()

    @property
    def executions(self) -> int:
        """How many lookups ran (for tests that count queries)."""
        return self._query.executions

    @property
    def opened(self) -> int:
        """How many connections the lookups ever opened (for tests that count them)."""
        return self._query.opened

    def current(self, article_id: str, at: datetime) -> Public:
        """The article's version, whether it is closed at `at`, and its ETag."""
        version, opened_at, closed = self._query.first(article_id=article_id) or (0, None, False)
        closed = comments_closed(bool(closed), _utc(opened_at), at, self._close_after_days)
        text = f"{article_id}\0{version}\0{opened_at or ''}\0{'closed' if closed else 'open'}"
        return Public(version, closed, hashlib.blake2b(text.encode(), key=self._key, digest_size=12).hexdigest())


def _utc(value: datetime | str | None) -> datetime | None:
    """A timestamp as the driver gave it (SQLite: text), as UTCDateTime reads it."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def public_version(article_id: str) -> Public:
    """The article's version, closed state and public ETag, now: one lookup."""
    return shared().versions.current(article_id, now())


def bump_version(db: Session, article_id: str, approved_at: datetime | None = None,
                 **also: Any) -> None:
    """Move an article's public version, in the transaction that changed its approved set.

    approved_at: a comment was approved then, which starts the article's clock if it has none yet.
    also: other changes to the article, made in the same UPDATE.
    """
    changes: dict[str, Any] = {"version": Article.version + 1, **also}
    if approved_at is not None:
        changes["opened_at"] = func.coalesce(Article.opened_at, approved_at)
    db.execute(update(Article).where(Article.id == article_id).values(**changes))
