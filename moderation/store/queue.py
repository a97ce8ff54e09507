"""Storage for the moderators' web queue: its pages and counts, edits, bulk actions, articles.

Reads use the app context's session; writes run in `database.writing()` transactions.
Status changes go through `comments.moderate`, so the web queue and the token API change,
version and audit a comment the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, func, or_, select

from moderation.core import events
from moderation.core.queue_query import COUNT_CAP, QueueQuery, edit_detail
from moderation.core.status import QUEUE_STATUSES, Status
from moderation.errors import NotFound
from moderation.store import comments, outbox
from moderation.store.audit import audit_entry, changed
from moderation.store.database import contains_pattern, locked, session, writing
from moderation.store.models import Article, Comment, Moderator
from moderation.store.versions import bump_version


@dataclass(frozen=True)
class Parent:
    """The comment a reply answers, as far as the queue shows it."""

    id: int
    author_name: str
    body_text: str
    status: str


@dataclass(frozen=True)
class QueueItem:
    """One row of the queue: the comment, its article, and its parent when it is a reply."""

    comment: Comment
    article_title: str | None
    article_url: str | None
    parent: Parent | None


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue and whether there are pages before and after it."""

    items: list[QueueItem]
    has_prev: bool
    has_next: bool


@dataclass(frozen=True)
class ArticleSummary:
    """An article with its number of comments in each state."""

    article: Article
    counts: dict[str, int] = field(default_factory=dict)


def _capped(*where: ColumnElement[bool], cap: int = COUNT_CAP) -> ScalarSelect[int]:
    """Count matching comments, but stop past cap: a full COUNT(*) would scan them all."""
    first = select(Comment.id).where(*where).limit(cap + 1).subquery()
    return select(func.count()).select_from(first).scalar_subquery()


def pending_count(cap: int = COUNT_CAP) -> int:
    """Pending comments, counted up to cap + 1."""
    return session().execute(select(_capped(Comment.status == Status.PENDING, cap=cap))).scalar_one()


def status_counts(article: str | None) -> dict[str, int]:
    """Comments in each state (capped), overall or on one article, in one query."""
    scope = [Comment.article_id == article] if article else []
    row = session().execute(select(*(_capped(Comment.status == tab, *scope) for tab in QUEUE_STATUSES))).one()
    return dict(zip(QUEUE_STATUSES, row, strict=True))


def _search(text: str, email_digests: Sequence[str]) -> ColumnElement[bool]:
    """Name, website or text containing text; or the whole email address (its digest under any
    listed secret key), or IP, equal to it."""
    pattern = contains_pattern(text)
    found: list[ColumnElement[bool]] = [column.ilike(pattern, escape="\\")
                                        for column in (Comment.author_name, Comment.author_website, Comment.body_text)]
    found.append(Comment.ip == text)
    if email_digests:
        found.append(Comment.email_digest.in_(email_digests))
    return or_(*found)


def page(query: QueueQuery, email_digests: Sequence[str] = ()) -> QueuePage:
    """One page of comments in a state, in the queue's order, from its keyset cursor."""
    where: list[ColumnElement[bool]] = [Comment.status == query.status]
    if query.article:
        where.append(Comment.article_id == query.article)
    if query.search:
        where.append(_search(query.search, email_digests))
    backwards = query.before is not None
    cursor = query.before if backwards else query.after
    upward = query.newest_first == backwards  # read ids upward (oldest first) or downward
    if cursor is not None:
        where.append(Comment.id > cursor if upward else Comment.id < cursor)
    rows = session().execute(
        select(Comment, Article.title, Article.url).join(Article, Article.id == Comment.article_id)
        .where(*where).order_by(Comment.id if upward else Comment.id.desc()).limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[:query.limit][::-1] if backwards else rows[:query.limit]
    parents = _parents(row[0].parent_id for row in rows)
    items = [QueueItem(comment, title, url, parents.get(comment.parent_id)) for comment, title, url in rows]
    return QueuePage(items, has_prev=more if backwards else cursor is not None,
                     has_next=True if backwards else more)


def _parents(ids: Iterable[int | None]) -> dict[int | None, Parent]:
    wanted = {parent_id for parent_id in ids if parent_id is not None}
    if not wanted:
        return {}
    query = select(Comment.id, Comment.author_name, Comment.body_text, Comment.status).where(Comment.id.in_(wanted))
    return {row.id: Parent(*row) for row in session().execute(query)}


def existing(ids: Sequence[int]) -> list[Comment]:
    """The comments with these ids that still exist, oldest first."""
    return list(session().scalars(select(Comment).where(Comment.id.in_(ids)).order_by(Comment.id)))


def comment(comment_id: int) -> Comment:
    """One comment, or 404."""
    found = session().get(Comment, comment_id)
    if found is None:
        raise NotFound(f"There is no comment {comment_id}; it may have been deleted.")
    return found


def moderate_many(ids: Sequence[int], status: Status, moderator: Moderator, now: datetime) -> list[int]:
    """Apply one state to each comment in turn (each audited); the ids that still existed."""
    done = []
    for comment_id in ids:
        try:
            comments.moderate(comment_id, status, moderator, "web", now)
        except NotFound:
            continue  # deleted meanwhile, perhaps by another moderator: nothing left to do
        done.append(comment_id)
    return done


def edit_comment(comment_id: int, text: str, html: str, moderator: Moderator, now: datetime) -> bool:
    """Replace a comment's text and sanitized HTML, bump the ETag if public, audit; False if unchanged."""
    with writing() as db:
        found = locked(db, Comment, comment_id, f"There is no comment {comment_id}; it may have been deleted.")
        entry = audit_entry(moderator, "edited", now, comment_id=comment_id, article_id=found.article_id,
                            detail=edit_detail(found.body_text, text))
        # body_digest stays the submitted text's: it is what catches the author resubmitting it.
        if not changed(db, found, {"body_text": text}, entry, also={"body_html": html, "updated_at": now}):
            return False
        if found.status == Status.APPROVED:
            bump_version(db, found.article_id)
        outbox.record(db, events.EDITED, found, found.status, now)
    return True


def articles_page(offset: int, limit: int) -> tuple[list[ArticleSummary], bool]:
    """Articles, newest first, with their counts per state; and whether more follow."""
    articles = list(session().scalars(
        select(Article).order_by(Article.created_at.desc(), Article.id).offset(offset).limit(limit + 1)))
    summaries = {article.id: ArticleSummary(article) for article in articles[:limit]}
    counts = (select(Comment.article_id, Comment.status, func.count())
              .where(Comment.article_id.in_(summaries)).group_by(Comment.article_id, Comment.status))
    for article_id, status, count in session().execute(counts):
        summaries[article_id].counts[status] = count
    return list(summaries.values()), len(articles) > limit
