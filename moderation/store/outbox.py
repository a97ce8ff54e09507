"""The outbox: events recorded with their change, fanned out into deliveries, claimed, retried.

`record` adds an event in the caller's transaction. The worker (`notify.worker`) then:
`dispatch` turns undispatched events into deliveries (one per recipient and channel, each
with its own key) and marks them dispatched, in one transaction; `claim` takes due
deliveries for a while (SKIP LOCKED on PostgreSQL; SQLite's write transactions are one at a
time already), so several workers on several hosts never send the same one at once; and
`finish` records the outcome: delivered, or tried again later with exponential backoff and
jitter, or failed after MAX_ATTEMPTS. A worker killed mid-send leaves its claim to lapse,
and the delivery is sent again: at least once, with the same key for the receiver to drop
a duplicate. A claim counts as an attempt when it is taken, so a message that kills its
worker every time still ends "failed"; each claim has its own lease end, and an outcome is
recorded only by the claim that still holds the delivery (one whose lease lapsed while it
was sending, and that another worker took over, records nothing).
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from moderation.core.events import snapshot
from moderation.store.database import session, writing
from moderation.store.models import Comment
from moderation.store.outbox_models import Delivery, OutboxEvent

MAX_ATTEMPTS = 8  # then "failed": about 4 hours of retries with the delays below
FIRST_DELAY, LONGEST_DELAY = timedelta(seconds=30), timedelta(hours=2)
LEASE = timedelta(minutes=2)  # how long a claim keeps other workers off one delivery
DISPATCH_BATCH = 100


def record(db: Session, event: str, comment: Comment, status: str, now: datetime) -> None:
    """Add an event about a comment to the caller's transaction (it commits, or vanishes, with it)."""
    db.add(OutboxEvent(event=event, comment_id=comment.id, article_id=comment.article_id,
                       snapshot=json.dumps(snapshot(comment, status), ensure_ascii=False), created_at=now))


@dataclass(frozen=True)
class Planned:
    """A delivery the dispatcher should make of an event: which channel, to whom."""

    channel: str
    target: str


# Each channel says who should get an event: (event row, its snapshot) -> deliveries to make.
Recipients = Callable[[Session, OutboxEvent, dict[str, Any]], Sequence[Planned]]


def dispatch(recipients: Sequence[Recipients], now: datetime, batch: int = DISPATCH_BATCH) -> int:
    """Fan undispatched events out into deliveries and mark them dispatched; how many events."""
    undispatched = OutboxEvent.dispatched_at.is_(None)
    if session().scalar(select(OutboxEvent.id).where(undispatched).limit(1)) is None:
        return 0  # an idle worker's every round: a read, no write lock taken from the submissions
    with writing() as db:
        events = db.scalars(select(OutboxEvent).where(undispatched)
                            .order_by(OutboxEvent.id).limit(batch).with_for_update(skip_locked=True)).all()
        for event in events:
            taken = json.loads(event.snapshot)
            for who in recipients:
                for planned in who(db, event, taken):
                    db.add(Delivery(event_id=event.id, channel=planned.channel, target=planned.target,
                                    key=f"msg_{secrets.token_urlsafe(18)}", status="pending", attempts=0,
                                    next_attempt_at=now, created_at=now))
            event.dispatched_at = now
    return len(events)


def claim(now: datetime, limit: int, channel: str | None = None) -> list[tuple[Delivery, OutboxEvent | None]]:
    """Take up to limit due deliveries for this worker, oldest first, with their events; each
    Delivery's `locked_until` is this claim's own lease end (about now + LEASE), its proof of holding it."""
    free = or_(Delivery.locked_until.is_(None), Delivery.locked_until < now)
    due = select(Delivery.id).where(Delivery.status == "pending", Delivery.next_attempt_at <= now, free)
    if channel is not None:
        due = due.where(Delivery.channel == channel)
    if session().scalar(due.limit(1)) is None:
        return []  # nothing due: a read, no write lock (the write below checks again, under its lock)
    with writing() as db:
        # Claimed MAX_ATTEMPTS times and never finished: each worker died sending it. No more tries.
        db.execute(update(Delivery).where(Delivery.status == "pending", Delivery.attempts >= MAX_ATTEMPTS, free)
                   .values(status="failed", locked_until=None, last_error="the worker stopped while sending it, "
                                                                          "every time it tried"))
        ids = list(db.scalars(due.order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
                              .with_for_update(skip_locked=True)))
        if not ids:
            return []
        # A lease end of this claim's own (a random microsecond part): what finish checks it still holds.
        until = now + LEASE + timedelta(microseconds=secrets.randbelow(1_000_000))
        db.execute(update(Delivery).where(Delivery.id.in_(ids))
                   .values(locked_until=until, attempts=Delivery.attempts + 1))
        rows = db.execute(select(Delivery, OutboxEvent).outerjoin(OutboxEvent, OutboxEvent.id == Delivery.event_id)
                          .where(Delivery.id.in_(ids)).order_by(Delivery.next_attempt_at, Delivery.id)).all()
        return [(delivery, event) for delivery, event in rows]


def retry_delay(attempts: int, draw: Callable[[float, float], float] = random.uniform) -> timedelta:
    """How long to wait after the attempts-th failure: doubling from FIRST_DELAY, capped, jittered ±50%."""
    base = min(FIRST_DELAY * (1 << min(max(attempts - 1, 0), 16)), LONGEST_DELAY)
    factor: float = draw(0.5, 1.5)
    return base * factor


def finish(delivery_id: int, now: datetime, error: str | None = None, drop: bool = False,
           claimed_until: datetime | None = None) -> str:
    """Record how one attempt went: delivered (error None), dropped (no recipient any more), or
    failed — then tried again after a backoff, or "failed" for good after MAX_ATTEMPTS. The state.

    claimed_until: the claim's lease end; when another claim holds the delivery now, nothing is recorded.
    """
    with writing() as db:
        return _finish(db.get(Delivery, delivery_id, with_for_update=True), now, error, drop, claimed_until)


Finished = tuple[int, str | None, bool, datetime | None]  # delivery id, error, drop, its claim's lease end


def finish_many(outcomes: Sequence[Finished], now: datetime) -> None:
    """`finish` for a chunk's outcomes in one transaction: one commit, not one per message."""
    with writing() as db:
        # One locking read of the whole chunk, not one per message.
        rows = {row.id: row for row in db.scalars(select(Delivery).where(
            Delivery.id.in_([outcome[0] for outcome in outcomes])).with_for_update())}
        for delivery_id, error, drop, claimed_until in outcomes:
            _finish(rows.get(delivery_id), now, error, drop, claimed_until)


def release(claims: Sequence[tuple[int, datetime | None]]) -> None:
    """Give back claimed deliveries that were not tried (their lease running short): free for any
    worker at once, and the claim not counted as an attempt."""
    with writing() as db:
        for delivery_id, claimed_until in claims:
            db.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "pending",
                                              Delivery.locked_until == claimed_until)
                       .values(locked_until=None, attempts=Delivery.attempts - 1))


def _finish(delivery: Delivery | None, now: datetime, error: str | None, drop: bool,
            claimed_until: datetime | None = None) -> str:
    if delivery is None:
        return "gone"
    if delivery.status != "pending" or (claimed_until is not None and delivery.locked_until != claimed_until):
        return "taken over"  # its lease lapsed and another worker holds it (or has finished it)
    delivery.locked_until = None
    if drop:
        delivery.status, delivery.last_error = "dropped", (error or "no such recipient any more")[:300]
    elif error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
    else:
        delivery.last_error = error[:300]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    return delivery.status


def recent(limit: int, status: str | None = None) -> Sequence[Delivery]:
    """The latest deliveries, newest first (failures only, or another state, when asked)."""
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Delivery.status == status)
    return session().scalars(query).all()


def purge(now: datetime, days: int) -> int:
    """Forget events (and their deliveries) older than days: how many events."""
    with writing() as db:
        result = db.execute(delete(OutboxEvent).where(OutboxEvent.created_at < now - timedelta(days=days)))
        db.execute(delete(Delivery).where(Delivery.event_id.is_(None),
                                          Delivery.created_at < now - timedelta(days=days)))
    return cast(CursorResult[Any], result).rowcount
