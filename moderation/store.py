"""Storage: the named queries and write transactions, and nothing about HTTP or policy.

Reads use the app context's session; every write runs in its own transaction from
`database.writing()`. Any change to an article's approved set bumps its `version`
in the same transaction, which the opaque public ETag is made of.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, Row, and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from .database import HotQuery, dialect_insert, engine_of, session, writing
from .errors import Duplicate, NotFound, ValidationFailed
from .models import ApiToken, Article, AuditEntry, Comment, FormTokenUse, Moderator, Status

FORM_TOKEN_KEEP = timedelta(days=1)  # a used nonce is kept this long past its token's expiry

PUBLIC_COLUMNS = (Comment.id, Comment.author_name, Comment.author_website, Comment.avatar, Comment.body_html,
                  Comment.created_at)
# A reply keeps its parent in public only while the parent is approved itself.
PARENT = aliased(Comment)
PUBLIC_PARENT = case((PARENT.status == Status.APPROVED, Comment.parent_id), else_=None).label("parent_id")

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


def init_app(app: Flask) -> None:
    """Prepare the hot-path lookup of this app's engine."""
    app.extensions["moderation.versions"] = PublicVersions(engine_of(app), app.config["SECRET_KEY"])


def public_version(article_id: str) -> tuple[int, str]:
    """The article's version and public ETag: one lookup."""
    return current_app.extensions["moderation.versions"].current(article_id)


def public_page(article_id: str, limit: int, after_id: int) -> tuple[int, Sequence[Row[Any]]]:
    """The approved count, and up to limit + 1 approved comments after after_id, oldest first.

    One query: the count is a window over all the article's approved comments, taken
    before the cursor narrows them (the extra row says there is a next page).
    """
    approved = (select(*PUBLIC_COLUMNS, PUBLIC_PARENT, func.count().over().label("total"))
                .outerjoin(PARENT, PARENT.id == Comment.parent_id)
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
class Author:
    """Who a submission proves it comes from, for duplicate and returning-author checks."""

    email_digests: tuple[str, ...]  # under the current secret key, then each retired one
    key_hash: str | None  # of the commenter key the submission carried, if it carried one
    ip: str | None


@dataclass(frozen=True)
class SubmissionContext:
    """What the policy needs from storage about an article, a parent and an author."""

    closed: bool
    opened_at: datetime | None
    premoderation: str | None
    parent_ok: bool
    duplicate: bool
    returning_avatar: str | None  # the avatar of the author's approved comment, when proven


def submission_context(article_id: str, parent_id: int | None, body_digest: str, author: Author,
                       duplicate_since: datetime) -> SubmissionContext:
    """Read, before any costly work, whether a submission would be refused and who sent it."""
    db = session()
    article = db.execute(select(Article.closed, Article.opened_at, Article.premoderation)
                         .where(Article.id == article_id)).first()
    returning = author.key_hash and db.scalar(select(Comment.avatar).where(
        Comment.email_digest.in_(author.email_digests), Comment.status == Status.APPROVED,
        Comment.commenter_key_hash == author.key_hash).limit(1))
    return SubmissionContext(
        closed=bool(article and article.closed), opened_at=article.opened_at if article else None,
        premoderation=article.premoderation if article else None,
        parent_ok=parent_id is None or _parent_ok(db, article_id, parent_id),
        duplicate=_duplicate(db, article_id, body_digest, author, duplicate_since) is not None,
        returning_avatar=returning or None)


def _parent_ok(db: Session, article_id: str, parent_id: int) -> bool:
    parent = db.execute(select(Comment.article_id, Comment.status).where(Comment.id == parent_id)).first()
    return parent is not None and parent.article_id == article_id and parent.status == Status.APPROVED


def _duplicate(db: Session, article_id: str, body_digest: str, author: Author, since: datetime) -> int | None:
    """A comment with the same text on the article from an author proven the same (key, or address lately)."""
    proofs = [and_(Comment.ip == author.ip, Comment.created_at >= since)] if author.ip else []
    if author.key_hash:
        proofs.append(Comment.commenter_key_hash == author.key_hash)
    if not proofs:
        return None
    return db.scalar(select(Comment.id).where(Comment.article_id == article_id, Comment.body_digest == body_digest,
                                              or_(*proofs)).limit(1))


class FormTokenReused(Exception):
    """The submission's form token already served another comment."""


@dataclass(frozen=True)
class NewComment:
    """A comment to store, with what its transaction also records."""

    comment: Comment
    author: Author
    duplicate_since: datetime
    details: tuple[str | None, str | None] | None = None  # the article's (title, url), if this may set them
    form_nonce: str | None = None
    form_nonce_expires: datetime | None = None


def add_comment(new: NewComment) -> Comment:
    """Store a new comment, creating its article; refuse bad parents, proven duplicates, used tokens."""
    comment = new.comment
    with writing() as db:
        dialect = db.get_bind().dialect.name
        # Readers racing to post an article's first comments must all create it, or find it.
        db.execute(dialect_insert(dialect, Article)
                   .values(id=comment.article_id, closed=False, version=0, created_at=comment.created_at)
                   .on_conflict_do_nothing(index_elements=[Article.id]))
        if dialect == "postgresql":  # SQLite's IMMEDIATE transactions are one at a time already
            # Lock the article: its submissions queue here, so the duplicate check below cannot race.
            db.execute(select(Article.id).where(Article.id == comment.article_id).with_for_update())
        if new.form_nonce is not None:
            _claim(db, new.form_nonce, new.form_nonce_expires or comment.created_at)
        if comment.parent_id is not None and not _parent_ok(db, comment.article_id, comment.parent_id):
            raise ValidationFailed({"parent_id": "must be the id of an approved comment on this article"})
        if _duplicate(db, comment.article_id, comment.body_digest, new.author, new.duplicate_since) is not None:
            raise Duplicate()
        changes: dict[str, Any] = {}
        if new.details is not None:  # set once, then only moderators change them
            changes |= {"title": func.coalesce(Article.title, new.details[0]),
                        "url": func.coalesce(Article.url, new.details[1])}
        if comment.status == Status.APPROVED:
            changes |= _approval_changes(comment.created_at)
        if changes:
            db.execute(update(Article).where(Article.id == comment.article_id).values(**changes))
        db.add(comment)
        db.flush()
    return comment


def _claim(db: Session, nonce: str, expires_at: datetime) -> None:
    """Record a form token's nonce as used, or raise FormTokenReused; forget long-expired ones now and then."""
    claimed = db.scalar(dialect_insert(db.get_bind().dialect.name, FormTokenUse)
                        .values(nonce=nonce, expires_at=expires_at)
                        .on_conflict_do_nothing(index_elements=[FormTokenUse.nonce])
                        .returning(FormTokenUse.nonce))
    if claimed is None:
        raise FormTokenReused()
    if random.random() < 0.01:
        db.execute(delete(FormTokenUse).where(FormTokenUse.expires_at < expires_at - FORM_TOKEN_KEEP))


def _approval_changes(now: datetime) -> dict[str, Any]:
    """What approving a comment changes on its article: a new public version; the clock's start."""
    return {"version": Article.version + 1, "opened_at": func.coalesce(Article.opened_at, now)}


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
        if new_status == Status.APPROVED:
            db.execute(update(Article).where(Article.id == comment.article_id).values(**_approval_changes(now)))
        elif was_public:
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
