"""Readers' notices: subscriptions made with a comment, the double opt-in, and who to mail.

A submission that ticks a box adds its subscriptions in the comment's own transaction
(`subscribe`). Everything else happens in the worker, never in the request, so no response
and no timing says whether an address has confirmed: `plan` decides, in the dispatcher's
transaction, which reader mails an event causes — a confirmation for an address that has
not confirmed (claimed by compare and set, at most one an address a day, so neither a
flood of submissions nor two workers at once mail it twice), an approval notice, a reply
notice. What a reader presses on the pages (`confirm`, `stop`, `resume`) is kept here too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import Session

from moderation.core import events
from moderation.core.status import Status
from moderation.store.database import dialect_insert, session, writing
from moderation.store.models import Article, Comment
from moderation.store.outbox_models import OutboxEvent
from moderation.store.reader_models import ReaderConsent, Subscription

CONFIRM_EVERY = timedelta(days=1)  # at most one confirmation mail an address in this time
APPROVAL, REPLIES = "approval", "replies"
# A delivery's target names the mail and the comment it is about (the address is the comment's).
CONFIRM, APPROVED, REPLY = "confirm:", "approved:", "reply:"


def subscribe(db: Session, comment: Comment, kinds: Sequence[str], now: datetime) -> None:
    """Add a new comment's subscriptions to its transaction."""
    for kind in dict.fromkeys(kinds):
        db.add(Subscription(comment_id=comment.id, kind=kind, created_at=now))


def consent(db: Session, digests: Sequence[str]) -> ReaderConsent | None:
    """An address's consent row, found by any of its digests."""
    return db.scalars(select(ReaderConsent).where(ReaderConsent.email_digest.in_(digests))
                      .order_by(ReaderConsent.id).limit(1)).first()


def may_mail(found: ReaderConsent | None) -> bool:
    """Whether notices may go to an address: confirmed, and not stopped."""
    return found is not None and found.confirmed_at is not None and found.stopped_at is None


def wishes(db: Session, comment_id: int) -> set[str]:
    """What the author of a comment asked to hear about it."""
    return set(db.scalars(select(Subscription.kind).where(Subscription.comment_id == comment_id)))


def plan(db: Session, event: OutboxEvent, taken: dict[str, Any], digests_of: Callable[[Comment], Sequence[str]],
         now: datetime) -> list[str]:
    """The reader mails an event causes, as delivery targets (digests_of: a comment's address digests).

    Most events concern nobody: one look at the subscriptions of the comment (and, for a
    published reply, of its parent, named in the snapshot) settles it before anything else is read.
    """
    if event.comment_id is None or event.event not in (events.CREATED, events.APPROVED):
        return []
    published = taken.get("status") == Status.APPROVED
    parent_id = taken.get("comment", {}).get("parent_id") if published else None
    wanted = wishes(db, event.comment_id)
    parent_wants = isinstance(parent_id, int) and REPLIES in wishes(db, parent_id)
    if not wanted and not parent_wants:
        return []
    comment = db.get(Comment, event.comment_id)
    if comment is None or comment.status == Status.SPAM:  # a bot's: nobody is mailed for it
        return []
    targets: list[str] = []
    if event.event == events.CREATED and wanted and _ask(db, digests_of(comment), now):
        targets.append(f"{CONFIRM}{comment.id}")
    notices = (event.event == events.APPROVED and APPROVAL in wanted) or parent_wants
    if published and notices and not _approved_before(db, event):
        if event.event == events.APPROVED and APPROVAL in wanted and may_mail(consent(db, digests_of(comment))):
            targets.append(f"{APPROVED}{comment.id}")
        parent = db.get(Comment, parent_id) if parent_wants else None
        if parent is not None and may_mail(consent(db, digests_of(parent))):
            targets.append(f"{REPLY}{comment.id}")
    return targets


def _ask(db: Session, digests: Sequence[str], now: datetime) -> bool:
    """Whether to mail a confirmation now: the address has not confirmed or stopped, and this
    claims its one confirmation of the day (an UPDATE that only one transaction can win)."""
    found = consent(db, digests)
    if found is None:  # two workers may both get here: one row is made, the other's insert does nothing
        db.execute(dialect_insert(db.get_bind().dialect.name, ReaderConsent)
                   .values(email_digest=digests[0], created_at=now)
                   .on_conflict_do_nothing(index_elements=[ReaderConsent.email_digest]))
        found = consent(db, digests)
    if found is None or found.confirmed_at is not None or found.stopped_at is not None:
        return False
    claimed = db.execute(update(ReaderConsent).where(
        ReaderConsent.id == found.id, ReaderConsent.confirmed_at.is_(None), ReaderConsent.stopped_at.is_(None),
        or_(ReaderConsent.asked_at.is_(None), ReaderConsent.asked_at <= now - CONFIRM_EVERY))
        .values(asked_at=now).execution_options(synchronize_session=False))
    return cast(CursorResult[Any], claimed).rowcount == 1


def _approved_before(db: Session, event: OutboxEvent) -> bool:
    """Whether the comment was published before this event: a comment approved again (after a
    rejection) tells nobody a second time."""
    earlier = db.execute(select(OutboxEvent.event, OutboxEvent.snapshot).where(
        OutboxEvent.comment_id == event.comment_id, OutboxEvent.id < event.id,
        OutboxEvent.event.in_((events.CREATED, events.APPROVED)))).all()
    return any(name == events.APPROVED or json.loads(snapshot).get("status") == Status.APPROVED
               for name, snapshot in earlier)


@dataclass(frozen=True)
class Found:
    """What a reader's link names: the address's consent, and the comment of the thread (if one)."""

    consent: ReaderConsent
    comment: Comment | None
    title: str | None = None  # the comment's article, as readers know it


def look(consent_id: int, comment_id: int | None) -> Found | None:
    """The consent (and comment, with its article's title) a link names; None when it is gone (erased)."""
    db = session()
    found = db.get(ReaderConsent, consent_id)
    if found is None:
        return None
    comment = db.get(Comment, comment_id) if comment_id else None
    article = db.get(Article, comment.article_id) if comment is not None else None
    return Found(found, comment, (article.title or article.id) if article is not None else None)


def confirm(consent_id: int, now: datetime) -> bool:
    """The reader pressed "confirm": notices may be mailed (a stop is lifted); False if it is gone."""
    with writing() as db:
        found = db.get(ReaderConsent, consent_id, with_for_update=True)
        if found is None:
            return False
        found.confirmed_at = found.confirmed_at or now
        found.stopped_at = None
    return True


def stop(consent_id: int, comment_id: int | None, now: datetime) -> bool:
    """Stop one thread (the comment's subscriptions), or every mail to the address (comment None).

    Stopping everything also forgets every subscription made with the address's comments:
    nothing is kept that could be mailed later. False when the consent is gone.
    """
    with writing() as db:
        found = db.get(ReaderConsent, consent_id, with_for_update=True)
        if found is None:
            return False
        if comment_id is not None:
            db.execute(delete(Subscription).where(Subscription.comment_id == comment_id))
        else:
            found.stopped_at = found.stopped_at or now
            own = select(Comment.id).where(Comment.email_digest == found.email_digest)
            db.execute(delete(Subscription).where(Subscription.comment_id.in_(own)))
    return True


def resume(consent_id: int) -> bool:
    """Lift a stop (the reader holds a link mailed to the address, so it is theirs); False if gone."""
    with writing() as db:
        found = db.get(ReaderConsent, consent_id, with_for_update=True)
        if found is None:
            return False
        found.stopped_at = None
    return True


def of_person(digests: Sequence[str]) -> dict[str, Any]:
    """An address's consent and subscriptions, for the personal-data export."""
    db = session()
    found = consent(db, digests)
    subscriptions = db.execute(select(Subscription.comment_id, Subscription.kind, Subscription.created_at)
                               .join(Comment, Comment.id == Subscription.comment_id)
                               .where(Comment.email_digest.in_(digests)).order_by(Subscription.id)).all()
    return {"consent": found, "subscriptions": subscriptions}


def forget_unconfirmed(now: datetime, days: int) -> int:
    """Delete the consent rows of addresses that were asked over days ago and never answered: how
    many. (A stop is kept: it is the reader's "never email me", which must outlive any purge.)"""
    with writing() as db:
        result = db.execute(delete(ReaderConsent).where(
            ReaderConsent.confirmed_at.is_(None), ReaderConsent.stopped_at.is_(None),
            func.coalesce(ReaderConsent.asked_at, ReaderConsent.created_at) < now - timedelta(days=days)))
    return cast(CursorResult[Any], result).rowcount


def forget(db: Session, digests: Sequence[str], comment_ids: Sequence[int]) -> None:
    """Erase an address's consent and its comments' subscriptions (in the erasure's transaction)."""
    db.execute(delete(ReaderConsent).where(ReaderConsent.email_digest.in_(digests)))
    db.execute(delete(Subscription).where(Subscription.comment_id.in_(list(comment_ids))))
