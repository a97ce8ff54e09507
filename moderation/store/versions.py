"""An article's public version and the opaque ETag made of it, on the hottest path.

Every change to an article's approved set moves its `version` in the same transaction
(`bump_version`); the public list and its 304s are answered from this one lookup.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

from moderation.shared import shared
from moderation.store.database import HotQuery
from moderation.store.models import Article

ARTICLE_VERSION = select(Article.version, Article.opened_at).where(Article.id == bindparam("article_id"))


class PublicVersions:
    """An article's version and the opaque ETag made of it, in one primary-key lookup.

    The ETag is a keyed digest of (article, version, when its first comment was approved):
    it changes with the approved set, says nothing about when or how often, is the same for
    every article with nothing public (nothing to tell apart), and differs between two
    databases that happen to reach the same version (a copy from the old one is never 304).
    """

    def __init__(self, engine: Engine, secret_key: str) -> None:
        self._query = HotQuery(engine, ARTICLE_VERSION)
        self._key = hashlib.blake2b(secret_key.encode(), digest_size=32, person=b"public etag").digest()

    @property
    def executions(self) -> int:
        """How many lookups ran (for tests that count queries)."""
        return self._query.executions

    @property
    def opened(self) -> int:
        """How many connections the lookups ever opened (for tests that count them)."""
        return self._query.opened

    def current(self, article_id: str) -> tuple[int, str]:
        """The article's version (0 until a comment is approved) and its ETag."""
        version, opened_at = self._query.first(article_id=article_id) or (0, None)
        text = f"{article_id}\0{version}\0{opened_at or ''}"
        return version, hashlib.blake2b(text.encode(), key=self._key, digest_size=12).hexdigest()


def public_version(article_id: str) -> tuple[int, str]:
    """The article's version and public ETag: one lookup."""
    return shared().versions.current(article_id)


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
