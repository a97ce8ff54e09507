"""Storage for the moderators' web queue: its pages, edits, bulk actions, articles, audit
log and log-in sessions.

Reads use the app context's session; writes run in `database.writing()` transactions.
Status changes go through `store.moderate`, so the web queue and the token API change,
version and audit a comment the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, delete, func, or_, select, update

from . import store
from .database import contains_pattern, session, writing
from .errors import NotFound
from .models import Article, AuditEntry, Comment, Moderator, ModeratorSession, Status
from .queue_rules import COUNT_CAP, TABS, QueueQuery, edit_detail


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


def _capped(*where: ColumnElement[bool], cap: int = COUNT_CAP) -> ScalarSelect[Any]:
    """Count matching comments, but stop past cap: a full COUNT(*) would scan them all."""
    first = select(Comment.id).where(*where).limit(cap + 1).subquery()
    return select(func.count()).select_from(first).scalar_subquery()


def pending_count(cap: int = COUNT_CAP) -> int:
    """Pending comments, counted up to cap + 1."""
    return session().execute(select(_capped(Comment.status == Status.PENDING, cap=cap))).scalar_one()


def status_counts(article: str | None) -> dict[str, int]:
    """Comments in each state (capped), overall or on one article, in one query."""
    scope = [Comment.article_id == article] if article else []
    row = session().execute(select(*(_capped(Comment.status == tab, *scope) for tab in TABS))).one()
    return dict(zip(TABS, row, strict=True))


def _search(text: str, email_digests: Sequence[str]) -> ColumnElement[bool]:
    """Name, website or text containing text; or the whole email address (its digest under any
    listed secret key), or IP, equal to it."""
    pattern = contains_pattern(text)
    found = [column.ilike(pattern, escape="\\")
             for column in (Comment.author_name, Comment.author_website, Comment.body_text)]
    found.append(Comment.ip == text)
    if email_digests:
        found.append(Comment.email_digest.in_(email_digests))
    return or_(*found)


def queue_page(query: QueueQuery, email_digests: Sequence[str] = ()) -> QueuePage:
    """One page of comments in a state, in the queue's order, from its keyset cursor."""
    where = [Comment.status == query.status]
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


def _parents(ids: Iterable[int | None]) -> dict[int, Parent]:
    wanted = {parent_id for parent_id in ids if parent_id is not None}
    if not wanted:
        return {}
    query = select(Comment.id, Comment.author_name, Comment.body_text, Comment.status).where(Comment.id.in_(wanted))
    return {row.id: Parent(*row) for row in session().execute(query)}


def comments(ids: Sequence[int]) -> list[Comment]:
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
            store.moderate(comment_id, status, moderator, "web", now)
        except NotFound:
            continue  # deleted meanwhile, perhaps by another moderator: nothing left to do
        done.append(comment_id)
    _see_own_writes()
    return done


def edit_comment(comment_id: int, text: str, html: str, moderator: Moderator, now: datetime) -> bool:
    """Replace a comment's text and sanitized HTML, bump the ETag if public, audit; False if unchanged."""
    with writing() as db:
        found = db.get(Comment, comment_id, with_for_update=True)
        if found is None:
            raise NotFound(f"There is no comment {comment_id}; it may have been deleted.")
        if found.body_text == text:
            return False
        old = found.body_text
        # body_digest stays the submitted text's: it is what catches the author resubmitting it.
        found.body_text, found.body_html, found.updated_at = text, html, now
        if found.status == Status.APPROVED:
            db.execute(update(Article).where(Article.id == found.article_id).values(version=Article.version + 1))
        db.add(_audit(moderator, "edited", now, comment_id, found.article_id, edit_detail(old, text)))
    _see_own_writes()
    return True


def _see_own_writes() -> None:
    """End the request's read transaction, so its next read sees what was just written.

    SQLite keeps a reader on the snapshot its transaction began with; PostgreSQL does not
    need this, but it costs nothing there.
    """
    session().rollback()


def _audit(moderator: Moderator, action: str, now: datetime, comment_id: int | None = None,
           article_id: str | None = None, detail: str | None = None) -> AuditEntry:
    return store.audit_entry(moderator, action, now, "web", comment_id=comment_id, article_id=article_id,
                             detail=detail)


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


def audit_page(moderator: str | None, action: str | None, comment_id: int | None,
               before: int | None, limit: int) -> tuple[list[AuditEntry], bool]:
    """Audit entries, newest first, filtered; and whether older ones follow."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    for column, value in ((AuditEntry.moderator_name, moderator), (AuditEntry.action, action),
                          (AuditEntry.comment_id, comment_id)):
        if value is not None:
            query = query.where(column == value)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    entries = list(session().scalars(query))
    return entries[:limit], len(entries) > limit


def moderator_names() -> list[str]:
    """Every moderator's name, for the audit log's filter."""
    return list(session().scalars(select(Moderator.name).order_by(Moderator.name)))


def open_session(key: str, moderator: Moderator, password_fp: str, now: datetime, oldest: datetime) -> None:
    """Record a new log-in (and forget sessions older than `oldest`, which have expired)."""
    with writing() as db:
        db.execute(delete(ModeratorSession).where(ModeratorSession.created_at < oldest))
        db.add(ModeratorSession(id=key, moderator_id=moderator.id, password_fp=password_fp, created_at=now))


def session_login(key: str) -> tuple[Moderator, ModeratorSession] | None:
    """The moderator and the log-in record a session key belongs to."""
    row = session().execute(select(Moderator, ModeratorSession)
                            .join(ModeratorSession, ModeratorSession.moderator_id == Moderator.id)
                            .where(ModeratorSession.id == key)).first()
    return (row[0], row[1]) if row else None


def close_session(key: str) -> None:
    """End one log-in."""
    with writing() as db:
        db.execute(delete(ModeratorSession).where(ModeratorSession.id == key))


def change_password(moderator: Moderator, password_hash: str, key: str, password_fp: str, now: datetime) -> None:
    """Set a new password, end every session of the moderator but a new one for this browser, audit."""
    with writing() as db:
        db.execute(update(Moderator).where(Moderator.id == moderator.id).values(password_hash=password_hash))
        db.execute(delete(ModeratorSession).where(ModeratorSession.moderator_id == moderator.id))
        db.add(ModeratorSession(id=key, moderator_id=moderator.id, password_fp=password_fp, created_at=now))
        db.add(_audit(moderator, "password", now, detail="changed own password; other sessions ended"))
