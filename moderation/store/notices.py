"""Moderators' notices: their address and choice, who gets each held comment, and digests.

A digest is claimed with a conditional UPDATE of the moderator's `digest_sent_at` (compare
and set), so of several workers only one plans it; it then goes out as an ordinary email
delivery of an event made for it (already dispatched), retried like any other.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session

from moderation.core.notices import DIGEST
from moderation.core.status import Status
from moderation.store.audit import audit_entry, changed
from moderation.store.database import locked, session, writing
from moderation.store.models import EPOCH, Comment, Moderator
from moderation.store.outbox_models import Delivery, OutboxEvent

DIGEST_EVENT = "moderator.digest"  # an event of the email channel's own, never fanned out


def set_notices(moderator_id: int, email: str | None, notify: str, now: datetime,
                by: Moderator | None = None) -> Moderator:
    """Set a moderator's address and choice; audited (an address never in the log, only that it changed)."""
    with writing() as db:
        moderator = locked(db, Moderator, moderator_id, "There is no such moderator.")
        detail = f"{moderator.name}: notices {notify}" + (", address changed" if email != moderator.email else "")
        changed(db, moderator, {"email": email, "notify": notify},
                audit_entry(by, "notices_changed", now, detail=detail))
    return moderator


def moderators_by_id(ids: Sequence[int]) -> dict[int, Moderator]:
    """The moderators among these ids that still exist."""
    if not ids:
        return {}
    return {moderator.id: moderator for moderator in session().scalars(select(Moderator).where(
        Moderator.id.in_(list(ids))))}


def plan_digests(now: datetime, minutes: int) -> int:
    """Queue a digest for each moderator who chose one, is due, and has held comments to hear of; how many."""
    due = now - timedelta(minutes=minutes)
    candidates = session().execute(select(Moderator.id, Moderator.digest_sent_at).where(
        Moderator.notify == DIGEST, Moderator.email.is_not(None),
        or_(Moderator.digest_sent_at.is_(None), Moderator.digest_sent_at <= due))).all()
    planned = 0
    for moderator_id, last in candidates:
        since = last or EPOCH
        if not held_since(since, now, 0)[0]:
            continue
        with writing() as db:
            same = Moderator.digest_sent_at.is_(None) if last is None else Moderator.digest_sent_at == last
            claimed = cast(CursorResult[Any], db.execute(update(Moderator).where(Moderator.id == moderator_id, same)
                                                         .values(digest_sent_at=now))).rowcount
            if claimed != 1:
                continue  # another worker claimed this one
            event = OutboxEvent(event=DIGEST_EVENT, created_at=now, dispatched_at=now, snapshot=json.dumps(
                {"moderator_id": moderator_id, "since": since.isoformat(), "until": now.isoformat()}))
            db.add(event)
            db.flush()
            db.add(Delivery(event_id=event.id, channel="email", target=f"moderator:{moderator_id}",
                            key=f"msg_{secrets.token_urlsafe(18)}", status="pending", attempts=0,
                            next_attempt_at=now, created_at=now))
            planned += 1
    return planned


def held_since(since: datetime, until: datetime, limit: int,
               db: Session | None = None) -> tuple[int, Sequence[Comment]]:
    """How many comments held after since (up to until) still wait, and the oldest limit of them."""
    db = db or session()
    where = (Comment.status == Status.PENDING, Comment.created_at > since, Comment.created_at <= until)
    count = db.scalar(select(func.count()).select_from(Comment).where(*where)) or 0
    rows = db.scalars(select(Comment).where(*where).order_by(Comment.id).limit(limit)).all() if limit else []
    return count, rows
