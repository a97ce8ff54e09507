"""Erasing one reader's personal data (GDPR article 17), found by every digest of their address.

One transaction does it all: their comments deleted, or kept as by "Anonymous" (with their
text when asked, or text erased too when others reply to them, so threads keep their shape);
the email blocks naming the address lifted; their notices' consent and subscriptions forgotten; every audit entry naming it made neutral; the
outbox's events about their comments (and the notices not yet sent) deleted; each
article whose public comments changed given a new version (so public ETags change). The
erasure is audited with counts only: the address is never written anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Row, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from moderation.core.erasure import (
    ANONYMOUS,
    ERASED_AVATAR,
    ERASED_DETAIL,
    ERASED_DIGEST,
    ERASED_HTML,
    ERASED_KEY_ID,
    ERASED_REASON,
    ERASED_SEALED,
    ERASED_TEXT,
    Erasure,
    author_note,
    erased_note,
    placeholders,
)
from moderation.core.rule_input import describe_block
from moderation.core.status import Status
from moderation.store import readers
from moderation.store.audit import audit_entry
from moderation.store.database import contains_pattern, session, writing
from moderation.store.models import Article, AuditEntry, Block, Comment, Moderator
from moderation.store.outbox_models import OutboxEvent
from moderation.store.rules import bump_rules
from moderation.store.versions import bump_version

# A person's comments as erasing needs them: (id, article_id, status, author_name).
Own = Sequence[Row[int, str, str, str]]
AUTHOR_NOTE = re.compile(r"comment (\d+) by ")  # author_note's shape, to find the ones naming this person


def plan(digests: Sequence[str], keep_text: bool) -> Erasure:
    """What erasing the address would do now; nothing is changed (to show before asking)."""
    db = session()
    own, kept = _survey(db, digests, keep_text)
    blocks = db.scalar(select(func.count()).select_from(Block).where(_blocks_of(digests))) or 0
    return _counts(len(own) - len(kept), len(kept), keep_text, blocks)


def erase(email: str, digests: Sequence[str], keep_text: bool, now: datetime,
          by: Moderator | None = None) -> Erasure:
    """Erase everything stored about an address (email, normalized; digests, all of its digests)
    in one transaction, audited under `by` (a moderator on the web) or as the command line's.

    An address with nothing stored is audited too ("nothing was stored"): the request was answered.
    """
    with writing() as db:
        own, kept = _lock_and_survey(db, digests, keep_text)
        for article_id in sorted({row.article_id for row in own if row.status == Status.APPROVED}):
            bump_version(db, article_id)
        if kept:
            where = Comment.email_digest.in_(digests) if keep_text else Comment.id.in_(kept)
            db.execute(update(Comment).where(where).values(**_erased_columns(now, keep_text)))
        readers.forget(db, digests, [row.id for row in own])  # their consent, and what they subscribed to
        deleted = _rowcount(db.execute(delete(Comment).where(Comment.email_digest.in_(digests))))
        blocks = _rowcount(db.execute(delete(Block).where(_blocks_of(digests))))
        if blocks:
            bump_rules(db)
        neutralized = _neutralize_audit(db, email, digests)
        _forget_author_notes(db, {row.id: row.author_name for row in own})
        # The outbox's snapshots hold their name, website and text: those events go, and with
        # them any notice about these comments not yet sent.
        db.execute(delete(OutboxEvent).where(OutboxEvent.comment_id.in_([row.id for row in own])))
        result = _counts(deleted, len(kept), keep_text, blocks, neutralized)
        db.add(audit_entry(by, "person_erased", now, detail=result.describe()))
    return result


def _counts(deleted: int, kept: int, keep_text: bool, blocks: int, audit_entries: int = 0) -> Erasure:
    return Erasure(deleted=deleted, anonymous=kept if keep_text else 0, placeholders=0 if keep_text else kept,
                   blocks=blocks, audit_entries=audit_entries)


def _blocks_of(digests: Sequence[str]) -> ColumnElement[bool]:
    return (Block.kind == "email") & Block.value.in_(digests)


def _lock_and_survey(db: Session, digests: Sequence[str], keep_text: bool) -> tuple[Own, set[int]]:
    """Lock the person's comments, then their articles (the order moderating one takes: no deadlock),
    so no reply can be added to them meanwhile; then survey them."""
    db.execute(select(Comment.id).where(Comment.email_digest.in_(digests)).with_for_update())
    db.execute(select(Article.id).where(Article.id.in_(
        select(Comment.article_id).where(Comment.email_digest.in_(digests)))).with_for_update())
    return _survey(db, digests, keep_text)


def _survey(db: Session, digests: Sequence[str], keep_text: bool) -> tuple[Own, set[int]]:
    """The person's comments (id, article, state, name), and the ids of those to keep rather than delete."""
    own = db.execute(select(Comment.id, Comment.article_id, Comment.status, Comment.author_name)
                     .where(Comment.email_digest.in_(digests))).all()
    ids = {row.id for row in own}
    if keep_text:
        return own, ids
    parent = aliased(Comment)
    replies = db.execute(select(Comment.id, Comment.parent_id).join(parent, parent.id == Comment.parent_id)
                         .where(parent.email_digest.in_(digests))).all()
    return own, placeholders(ids, [(reply.id, reply.parent_id) for reply in replies])


def _erased_columns(now: datetime, keep_text: bool) -> dict[str, Any]:
    """What a kept comment holds once its author is erased: nothing of them; their text only if asked."""
    columns: dict[str, Any] = {
        "author_name": ANONYMOUS, "author_website": None, "email_sealed": ERASED_SEALED,
        "email_key_id": ERASED_KEY_ID, "email_digest": ERASED_DIGEST, "avatar": ERASED_AVATAR, "ip": None,
        "commenter_key_hash": None, "reason": ERASED_REASON, "updated_at": now}
    if not keep_text:
        # body_digest is the text's: an unkeyed hash of what they wrote goes with it.
        columns.update(body_text=ERASED_TEXT, body_html=ERASED_HTML, body_digest="")
    return columns


def _neutralize_audit(db: Session, email: str, digests: Sequence[str]) -> int:
    """Replace the detail of each audit entry naming the address (a block's digest, or the few characters
    of it that moderators are shown, or the address typed in a note); how many there were.

    The shown tail is short: another address's block with the same tail is made neutral too, rarely.
    """
    named = [AuditEntry.detail.contains(text, autoescape=True)
             for digest in digests for text in (digest, describe_block("email", digest))]
    named.append(AuditEntry.detail.ilike(contains_pattern(email), escape="\\"))
    return _rowcount(db.execute(update(AuditEntry).where(or_(*named)).values(detail=ERASED_DETAIL)))


def _forget_author_notes(db: Session, names: dict[int, str]) -> None:
    """Take the person's name out of the notes of blocks made from their comments (an IP block
    keeps "comment 17 by Ann"), in the blocks and in the audit log."""
    for model, column in ((Block, "note"), (AuditEntry, "detail")):
        for found in db.scalars(select(model).where(getattr(model, column).like("%comment % by %"))):
            text = old = getattr(found, column)
            for match in AUTHOR_NOTE.finditer(old):
                comment_id = int(match[1])
                if comment_id in names:
                    text = text.replace(author_note(comment_id, names[comment_id]), erased_note(comment_id))
            if text != old:
                setattr(found, column, text)


def _rowcount(result: Any) -> int:
    # Session.execute is typed to return a Result; a DELETE's or UPDATE's is a CursorResult.
    return cast(CursorResult[Any], result).rowcount
