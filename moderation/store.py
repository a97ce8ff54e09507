"""Storage: the named queries and write transactions, and nothing about HTTP or policy.

Reads use the app context's session; every write runs in its own transaction from
`database.writing()`. Any change to an article's approved set bumps its `version`
in the same transaction, which is what the public ETag is made of.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Row, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .database import HotQuery, dialect_insert, engine_of, session, writing
from .errors import Duplicate, NotFound, ValidationFailed
from .models import ApiToken, Article, AuditEntry, Comment, Moderator, Status

PUBLIC_COLUMNS = (Comment.id, Comment.parent_id, Comment.author_name, Comment.author_website,
                  Comment.avatar, Comment.body_html, Comment.created_at)


ARTICLE_VERSION = select(Article.version).where(Article.id == bindparam("article_id"))


def init_app(app: Flask) -> None:
    """Prepare the hot-path query of this app's engine."""
    app.extensions["moderation.article_version"] = HotQuery(engine_of(app), ARTICLE_VERSION)


def article_version(article_id: str) -> int | None:
    """The article's ETag version (None for an article nobody has commented on): one lookup."""
    row = current_app.extensions["moderation.article_version"].first(article_id=article_id)
    return row[0] if row else None


def public_page(article_id: str, limit: int, after_id: int) -> tuple[int, Sequence[Row[Any]]]:
    """The approved count, and up to limit + 1 approved comments after after_id, oldest first.

    One query: the count is a window over all the article's approved comments, taken
    before the cursor narrows them (the extra row says there is a next page).
    """
    approved = (select(*PUBLIC_COLUMNS, func.count().over().label("total"))
                .where(Comment.article_id == article_id, Comment.status == Status.APPROVED)
                .subquery())
    query = select(approved).where(approved.c.id > after_id).order_by(approved.c.id).limit(limit + 1)
    rows = session().execute(query).all()
    if rows:
        return rows[0].total, rows
    count = session().scalar(select(func.count()).where(
        Comment.article_id == article_id, Comment.status == Status.APPROVED)) if after_id else 0
    return count or 0, rows


def approved_counts(article_ids: Iterable[str]) -> dict[str, int]:
    """Approved comments per article, zero for articles with none or unknown."""
    ids = list(dict.fromkeys(article_ids))
    query = (select(Comment.article_id, func.count())
             .where(Comment.article_id.in_(ids), Comment.status == Status.APPROVED)
             .group_by(Comment.article_id))
    counts = dict.fromkeys(ids, 0)
    counts.update({article_id: count for article_id, count in session().execute(query)})
    return counts


@dataclass(frozen=True)
class SubmissionContext:
    """What the policy needs from storage about an article and an author."""

    closed: bool
    first_comment_at: datetime | None
    premoderation: str | None
    returning_author: bool


def submission_context(article_id: str, email_digest: str, key_hash: str | None) -> SubmissionContext:
    """The article's state, and whether this author (proven by key) has an approved comment."""
    article = session().execute(select(Article.closed, Article.created_at, Article.premoderation)
                                .where(Article.id == article_id)).first()
    returning = key_hash is not None and session().scalar(select(Comment.id).where(
        Comment.email_digest == email_digest, Comment.status == Status.APPROVED,
        Comment.commenter_key_hash == key_hash).limit(1)) is not None
    if article is None:
        return SubmissionContext(False, None, None, returning)
    return SubmissionContext(article.closed, article.created_at, article.premoderation, returning)


def add_comment(comment: Comment, title: str | None, url: str | None) -> Comment:
    """Store a new comment, creating its article; refuse bad parents and duplicates."""
    try:
        with writing() as db:
            # Readers racing to post an article's first comments must all create it, or find it.
            db.execute(dialect_insert(db.get_bind().dialect.name, Article)
                       .values(id=comment.article_id, title=title, url=url, closed=False,
                               version=int(comment.created_at.timestamp() * 1000),
                               created_at=comment.created_at)
                       .on_conflict_do_nothing(index_elements=[Article.id]))
            changes: dict[str, Any] = {"title": title} if title else {}
            changes |= {"url": url} if url else {}
            if comment.status == Status.APPROVED:
                changes["version"] = Article.version + 1
            if changes:
                db.execute(update(Article).where(Article.id == comment.article_id).values(**changes))
            if comment.parent_id is not None:
                _check_parent(db, comment)
            db.add(comment)
            db.flush()
    except IntegrityError as error:
        if _is_duplicate(error):
            raise Duplicate() from None
        raise
    return comment


def _is_duplicate(error: IntegrityError) -> bool:
    """True when the violated constraint is the one that forbids duplicate comments."""
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:  # PostgreSQL names the constraint
        return diagnostics.constraint_name == "comments_no_duplicates"
    return "comments.article_id, comments.email_digest, comments.body_digest" in str(error.orig)


def _check_parent(db: Session, comment: Comment) -> None:
    parent = db.execute(select(Comment.article_id, Comment.status).where(Comment.id == comment.parent_id)).first()
    if parent is None or parent.article_id != comment.article_id or parent.status != Status.APPROVED:
        raise ValidationFailed({"parent_id": "must be the id of an approved comment on this article"})


def existing_duplicate(article_id: str, email_digest: str, body_digest: str) -> int | None:
    """The id of the comment that a resubmission duplicates, if any."""
    return session().execute(select(Comment.id).where(
        Comment.article_id == article_id, Comment.email_digest == email_digest,
        Comment.body_digest == body_digest)).scalar()


def queue_page(status: Status, limit: int, after_id: int) -> Sequence[Comment]:
    """Up to limit + 1 comments in a state, oldest first, for moderators."""
    query = (select(Comment).where(Comment.status == status, Comment.id > after_id)
             .order_by(Comment.id).limit(limit + 1))
    return session().scalars(query).all()


def moderate(comment_id: int, new_status: Status, moderator: Moderator, via: str, now: datetime) -> Status:
    """Move a comment to a new state (or delete it), bump the ETag if public, audit it."""
    with writing() as db:
        comment = db.get(Comment, comment_id, with_for_update=True)
        if comment is None:
            raise NotFound(f"There is no comment {comment_id}.")
        was_public = comment.status == Status.APPROVED
        if new_status == Status.DELETED:
            db.delete(comment)
        else:
            comment.status, comment.updated_at = new_status, now
        if was_public or new_status == Status.APPROVED:
            db.execute(update(Article).where(Article.id == comment.article_id)
                       .values(version=Article.version + 1))
        db.add(audit_entry(moderator, str(new_status), now, via, comment_id=comment_id,
                           article_id=comment.article_id))
    return new_status


CLI_NAME = "command line"  # who the audit log names for changes made with `flask --app app …`


def audit_entry(by: Moderator | None, action: str, now: datetime, via: str, *, comment_id: int | None = None,
                article_id: str | None = None, detail: str | None = None) -> AuditEntry:
    """One line of the audit log: who (a moderator, or the command line) did what, and when."""
    return AuditEntry(moderator_id=by.id if by else None, moderator_name=by.name if by else CLI_NAME,
                      action=action, comment_id=comment_id, article_id=article_id, detail=detail,
                      via=via, created_at=now)


def moderator_by_token(hashed: str) -> Moderator | None:
    """The moderator who owns a token hash."""
    query = select(Moderator).join(ApiToken, ApiToken.moderator_id == Moderator.id).where(
        ApiToken.token_hash == hashed)
    return session().scalars(query).first()


def moderator_by_name(name: str) -> Moderator | None:
    """A moderator by log-in name."""
    return session().scalars(select(Moderator).where(Moderator.name == name)).first()


def save_moderator(name: str, password_hash: str, now: datetime) -> bool:
    """Create a moderator or set the password of an existing one; True when created."""
    with writing() as db:
        moderator = db.scalars(select(Moderator).where(Moderator.name == name)).first()
        if moderator is not None:
            moderator.password_hash = password_hash
            return False
        db.add(Moderator(name=name, password_hash=password_hash, created_at=now))
        return True


def add_token(moderator_id: int, hashed: str, now: datetime) -> None:
    """Store a new API token's hash."""
    with writing() as db:
        db.add(ApiToken(moderator_id=moderator_id, token_hash=hashed, created_at=now))
