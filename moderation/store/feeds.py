"""The reads behind the Atom feeds: the latest approved comments, of one article or the site.

Only approved comments are ever selected, with their public columns and what a feed shows of
their article (title, URL) and its public `version`, of which the site feed's ETag is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from moderation.core.status import Status
from moderation.store.database import session
from moderation.store.models import Article, Comment

FEED_COLUMNS = (Comment.id, Comment.article_id, Comment.author_name, Comment.author_website, Comment.body_html,
                Comment.created_at, Comment.updated_at, Article.title, Article.url, Article.version)


def latest(limit: int, article_id: str | None = None) -> Sequence[Any]:
    """Up to limit approved comments, newest first, of one article or (None) of every article.

    Each row has the FEED_COLUMNS, by name.
    """
    query = (select(*FEED_COLUMNS).join(Article, Article.id == Comment.article_id)
             .where(Comment.status == Status.APPROVED))
    if article_id is not None:
        query = query.where(Comment.article_id == article_id)
    # Newest by when it was written (an imported comment keeps its date), the id breaking ties.
    return session().execute(query.order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)).all()


def article_details(article_id: str) -> tuple[str | None, str | None]:
    """An article's title and URL; (None, None) for an article with none, or none at all."""
    row = session().execute(select(Article.title, Article.url).where(Article.id == article_id)).first()
    return (row.title, row.url) if row else (None, None)
