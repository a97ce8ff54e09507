"""Storage of comments: the public pages and counts, a new comment's checks and write,
moderating one, the token API's queue, and purging old ones.

Reads use the app context's session; every write runs in its own transaction from
`database.writing()`, which also records the change's event in the outbox (`store.outbox`). Any change to an article's approved set bumps its `version`
in the same transaction (`versions.bump_version`), which the public ETag is made of.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Row, and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from moderation.core import events
from moderation.core.addresses import anonymize_ip
from moderation.core.status import Status
from moderation.errors import Duplicate, ValidationFailed
from moderation.store import outbox, readers, reports
from moderation.store.audit import audit_entry
from moderation.store.database import dialect_insert, locked, session, writing
from moderation.store.models import Article, Comment, FormTokenUse, Moderator
from moderation.store.versions import bump_version

FORM_TOKEN_KEEP = timedelta(days=1)  # a used nonce is kept this long past its token's expiry

PUBLIC_COLUMNS = (Comment.id, Comment.author_name, Comment.author_website, Comment.avatar, Comment.body_html,
                  Comment.created_at)
# A reply keeps its parent in public only while the parent is approved itself.
PARENT = aliased(Comment)
PUBLIC_PARENT = case((PARENT.status == Status.APPROVED, Comment.parent_id), else_=None).label("parent_id")

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
    notify: tuple[str, ...] = ()  # the reader's subscriptions: "approval", "replies"


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
        details: dict[str, Any] = {}
        if new.details is not None:  # set once, then only moderators change them
            details = {"title": func.coalesce(Article.title, new.details[0]),
                       "url": func.coalesce(Article.url, new.details[1])}
        if comment.status == Status.APPROVED:  # one UPDATE of the article either way
            bump_version(db, comment.article_id, approved_at=comment.created_at, **details)
        elif details:
            db.execute(update(Article).where(Article.id == comment.article_id).values(**details))
        db.add(comment)
        db.flush()
        readers.subscribe(db, comment, new.notify, comment.created_at)
        outbox.record(db, events.CREATED, comment, comment.status, comment.created_at)
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


def in_state(status: Status, limit: int, after_id: int) -> Sequence[Comment]:
    """Up to limit + 1 comments in a state, oldest first, for moderators."""
    query = (select(Comment).where(Comment.status == status, Comment.id > after_id)
             .order_by(Comment.id).limit(limit + 1))
    return session().scalars(query).all()


def moderate(comment_id: int, new_status: Status, moderator: Moderator, via: str, now: datetime) -> Status:
    """Move a comment to a new state (or delete it), bump the ETag if public, audit it."""
    with writing() as db:
        comment = locked(db, Comment, comment_id, f"There is no comment {comment_id}.")
        moderate_locked(db, comment, new_status, moderator, via, now)
    return new_status


def moderate_locked(db: Session, comment: Comment, new_status: Status, moderator: Moderator, via: str,
                    now: datetime) -> None:
    """`moderate`, inside the caller's transaction on a comment it has locked (a one-click link's use).

    Approving also dismisses the comment's open reports: the moderator has judged it fit to
    publish, and the reports that held it must not hold it again at the next one."""
    if new_status == Status.APPROVED or comment.status == Status.APPROVED:
        bump_version(db, comment.article_id, approved_at=now if new_status == Status.APPROVED else None)
    dismissed = reports.dismiss_open(db, comment.id, now) if new_status == Status.APPROVED else 0
    if new_status == Status.DELETED:
        outbox.record(db, events.DELETED, comment, new_status, now)
        db.delete(comment)
    else:
        comment.status, comment.updated_at = new_status, now
        outbox.record(db, events.BY_STATE[new_status], comment, new_status, now)
    db.add(audit_entry(moderator, str(new_status), now, via, comment_id=comment.id, article_id=comment.article_id,
                       detail=f"{dismissed} open report{'s' * (dismissed != 1)} dismissed" if dismissed else None))


@dataclass(frozen=True)
class Purged:
    """What one purge did."""

    pending: int
    spam: int
    addresses: int


def purge(now: datetime, pending_days: int, spam_days: int, ip_days: int, scheduled: bool = False) -> Purged:
    """Delete old pending comments and spam; cut old IP addresses down to their network.

    Audited as the command line's; a scheduled run is audited only when it changed something
    (one line an hour saying "nothing" would bury the log).
    """
    with writing() as db:
        counts = [0, 0]
        for position, (status, days) in enumerate(((Status.PENDING, pending_days), (Status.SPAM, spam_days))):
            if days:
                # Session.execute is typed to return a Result; a DELETE's is a CursorResult (SQLAlchemy's advice).
                counts[position] = cast(CursorResult[Any], db.execute(delete(Comment).where(
                    Comment.status == status, Comment.created_at < now - timedelta(days=days)))).rowcount
        addresses = 0
        if ip_days:
            old = db.execute(select(Comment.id, Comment.ip).where(
                Comment.created_at < now - timedelta(days=ip_days), Comment.ip.is_not(None),
                Comment.ip.not_like("%/%"))).all()
            for comment_id, ip in old:
                db.execute(update(Comment).where(Comment.id == comment_id).values(ip=anonymize_ip(ip)))
            addresses = len(old)
        result = Purged(counts[0], counts[1], addresses)
        if not scheduled or any((result.pending, result.spam, result.addresses)):
            db.add(audit_entry(None, "purge", now, detail=("scheduled: " if scheduled else "")
                               + f"{result.pending} pending, {result.spam} spam deleted; "
                               f"{result.addresses} IP addresses anonymized"))
    return result
