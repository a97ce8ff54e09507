"""Storage for articles' own settings: pre-moderation, title and URL, closed or open.

Each change locks the article's row, compares, sets and audits in one transaction
(`audit.changed`), whether a moderator made it on the web or an operator on the command line.
"""

from __future__ import annotations

from datetime import datetime

from moderation.core.rule_input import ArticleDetails, details_detail, premoderation_detail
from moderation.errors import NotFound
from moderation.store.audit import audit_entry, changed
from moderation.store.database import locked, session, writing
from moderation.store.models import Article, Moderator


def article(article_id: str) -> Article:
    """The article with this id; NotFound when there is none."""
    found = session().get(Article, article_id)
    if found is None:
        raise NotFound(_missing(article_id))
    return found


def _missing(article_id: str) -> str:
    return f"There is no article {article_id!r}."


def set_premoderation(article_id: str, premoderation: str | None, now: datetime, by: Moderator | None = None) -> bool:
    """Set an article's own pre-moderation (None: the site's); False when it already was so."""
    with writing() as db:
        found = locked(db, Article, article_id, _missing(article_id))
        entry = audit_entry(by, "premoderation", now, article_id=article_id,
                            detail=premoderation_detail(premoderation, found.premoderation))
        return changed(db, found, {"premoderation": premoderation}, entry)


def set_details(article_id: str, title: str | None, url: str | None, now: datetime,
                by: Moderator | None = None) -> bool:
    """Set the title and URL moderators see for an article (None clears), audited; False when already so."""
    with writing() as db:
        found = locked(db, Article, article_id, _missing(article_id))
        entry = audit_entry(by, "article_details", now, article_id=article_id,
                            detail=details_detail(ArticleDetails(title, url), ArticleDetails(found.title, found.url)))
        return changed(db, found, {"title": title, "url": url}, entry)


def set_closed(article_id: str, closed: bool, now: datetime, by: Moderator | None = None) -> bool:
    """Close an article to new comments or reopen it, audited; False when it already was."""
    with writing() as db:
        found = locked(db, Article, article_id, _missing(article_id))
        entry = audit_entry(by, "closed" if closed else "reopened", now, article_id=article_id, detail="")
        return changed(db, found, {"closed": closed}, entry)
