"""One-click moderation links: their rows (the hash of each secret), checked and used once.

`issue` writes a moderator's three links for a held comment (approve, reject, spam) when the
alert is sent; `look` says what a link would do, refusing it when used, expired, its comment
decided or its moderator removed (the rows cascade); `use` marks it used and moderates in one
transaction, so two presses of one link — or of two links of one comment — cannot both act.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from moderation.core.links import ACTIONS, link_id, new_secret
from moderation.core.status import ACTIONS as STATES
from moderation.core.status import Status
from moderation.errors import ApiError
from moderation.store.comments import moderate_locked
from moderation.store.database import session, writing
from moderation.store.models import Article, Comment, Moderator
from moderation.store.outbox_models import ActionLink

VIA = "mail"  # the audit log's `via` for what a link did (the column holds 8 characters)


class LinkRefused(ApiError):
    """A one-click link that may not act (any more); the message says why."""

    status, code, message = 404, "link_invalid", "This moderation link is not valid."


def refused(why: str) -> LinkRefused:
    """The refusal for one reason: forged, unknown, used, expired or decided."""
    reasons = {
        "forged": (404, "link_invalid", "This moderation link is not valid: it may have been cut short or altered."),
        "unknown": (404, "link_invalid", "This moderation link does not work any more (its moderator may "
                    "have been removed)."),
        "used": (410, "link_used", "This moderation link has been used already: each works once."),
        "expired": (410, "link_expired", "This moderation link has expired; decide from the queue instead."),
        "decided": (409, "comment_decided", "This comment has been decided already (or deleted); "
                    "nothing was changed."),
    }
    status, code, message = reasons[why]
    return LinkRefused(message, code=code, status=status)


@dataclass(frozen=True)
class Link:
    """What a valid link would do: its moderator, action and comment (with the comment's article)."""

    link: ActionLink
    moderator: Moderator
    comment: Comment
    article: Article | None


def issue(db: Session, moderator_id: int, comment_id: int, now: datetime, days: int) -> dict[str, str]:
    """Write one link row per action for a moderator and a comment; {action: secret} (never stored)."""
    made = {action: new_secret() for action in ACTIONS}
    db.add_all(ActionLink(id=link_id(secret), moderator_id=moderator_id, comment_id=comment_id, action=action,
                          created_at=now, expires_at=now + timedelta(days=days)) for action, secret in made.items())
    return made


def _check(db: Session, secret: str, now: datetime, lock: bool) -> Link:
    """The link with this secret if it may act now, else LinkRefused saying why."""
    link = db.get(ActionLink, link_id(secret), with_for_update=lock)
    moderator = db.get(Moderator, link.moderator_id) if link else None
    if link is None or moderator is None:
        raise refused("unknown")
    if link.used_at is not None:
        raise refused("used")
    if link.expires_at <= now:
        raise refused("expired")
    comment = db.get(Comment, link.comment_id, with_for_update=lock)
    if comment is None or comment.status != Status.PENDING:
        raise refused("decided")
    return Link(link, moderator, comment, db.get(Article, comment.article_id))


def look(secret: str, now: datetime) -> Link:
    """What a link would do, read only (a GET never acts); LinkRefused when it may not."""
    return _check(session(), secret, now, lock=False)


def use(secret: str, now: datetime) -> Link:
    """Mark a link used and moderate its comment under its moderator, in one transaction.

    The conditional UPDATE claims the link: of two presses at once, one finds it unused and
    acts; the other waits for that transaction, then finds it used (or the comment decided).
    """
    with writing() as db:
        found = _check(db, secret, now, lock=True)
        claimed = cast(CursorResult[Any], db.execute(
            update(ActionLink).where(ActionLink.id == found.link.id, ActionLink.used_at.is_(None))
            .values(used_at=now))).rowcount
        if claimed != 1:
            raise refused("used")
        moderate_locked(db, found.comment, STATES[found.link.action], found.moderator, VIA, now)
        return found


def pending_ids(comment_ids: list[int]) -> set[int]:
    """Which of these comments still wait for a moderator."""
    if not comment_ids:
        return set()
    return set(session().scalars(select(Comment.id).where(Comment.id.in_(comment_ids),
                                                          Comment.status == Status.PENDING)))


def forget_expired(now: datetime) -> int:
    """Delete the links that have expired (used or not): they can only be refused now. How many."""
    with writing() as db:
        return cast(CursorResult[Any], db.execute(delete(ActionLink).where(ActionLink.expires_at < now))).rowcount
