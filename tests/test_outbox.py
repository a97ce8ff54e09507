"""The outbox: an event is written with its change or not at all, fanned out once, and each
delivery is claimed by one worker at a time, retried with backoff, and failed after a bound.

The channel here is a real one kept in memory (it records what it was asked to send and
answers as the test says); the mail and webhook channels have tests of their own against a
real SMTP server and a real HTTP receiver.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moderation.notify.channel import Outcome
from moderation.notify.worker import Worker
from moderation.store import outbox
from moderation.store.database import session, writing
from moderation.store.outbox import MAX_ATTEMPTS, Planned, retry_delay
from moderation.store.outbox_models import Delivery, OutboxEvent

from helpers import make_app, moderate, submit


class Recorder:
    """A channel that keeps what it delivers; `fail` makes every attempt fail with that error."""

    name = "memory"

    def __init__(self, recipients: int = 1) -> None:
        self.count = recipients
        self.sent: list[tuple[str, str, str]] = []  # (key, event, target)
        self.fail: str | None = None
        self.lock = threading.Lock()

    def recipients(self, db: Session, event: OutboxEvent, taken: dict[str, Any]) -> Sequence[Planned]:
        """One delivery per recipient of every event."""
        return [Planned(self.name, f"memory:{number}") for number in range(self.count)]

    def deliver(self, batch: Sequence[tuple[Delivery, OutboxEvent | None]]) -> list[Outcome]:
        """Record each delivery (or fail it)."""
        with self.lock:
            if self.fail is None:
                self.sent += [(d.key, e.event if e else "", d.target) for d, e in batch]
        return [Outcome(delivery.id, self.fail) for delivery, _ in batch]


def events(app: Flask) -> list[tuple[str, int | None, dict[str, Any]]]:
    """(event, comment id, snapshot) of every outbox event, oldest first."""
    with app.app_context():
        rows = session().scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        return [(row.event, row.comment_id, json.loads(row.snapshot)) for row in rows]


def deliveries(app: Flask) -> list[Delivery]:
    """Every delivery, oldest first."""
    with app.app_context():
        return list(session().scalars(select(Delivery).order_by(Delivery.id)))


def test_each_change_records_its_event_with_a_snapshot_and_nothing_private(app: Flask, client: Any,
                                                                          token: str) -> None:
    held = submit(client, body="Held <em>first</em>.", name="Ann", email="ann@example.org").json["id"]
    assert moderate(client, token, held, "approve").status_code == 200
    assert moderate(client, token, held, "delete").status_code == 200
    found = events(app)
    assert [(event, comment_id, taken["status"]) for event, comment_id, taken in found] == [
        ("comment.created", held, "pending"), ("comment.approved", held, "approved"),
        ("comment.deleted", held, "deleted")]
    taken = found[0][2]
    assert taken["article_id"] == "12345" and taken["text"] == "Held <em>first</em>."
    assert taken["comment"]["author"]["name"] == "Ann" and taken["comment"]["html"].startswith("<p>")
    for _, _, taken in found:
        assert "ann@example.org" not in json.dumps(taken) and "127.0.0.1" not in json.dumps(taken)


def test_a_refused_change_records_no_event(app: Flask, client: Any) -> None:
    first = submit(client, body="Once.", commenter_key=None)
    assert first.status_code == 202
    again = submit(client, body="Once.")  # the same text from the same address: 409, rolled back
    assert again.status_code == 409
    assert [event for event, _, _ in events(app)] == ["comment.created"]


def test_the_worker_fans_out_once_and_delivers_each_once(app: Flask, client: Any) -> None:
    channel = Recorder(recipients=2)
    submit(client, body="One.")
    submit(client, body="Two.")
    worker = Worker(app, [channel])
    assert worker.run_once() == 4
    assert worker.run_once() == 0  # nothing new: no second fan-out, no second send
    assert sorted(target for _, _, target in channel.sent) == ["memory:0", "memory:0", "memory:1", "memory:1"]
    assert len({key for key, _, _ in channel.sent}) == 4 and all(key.startswith("msg_") for key, _, _ in channel.sent)
    assert {d.status for d in deliveries(app)} == {"delivered"}


def test_a_failing_delivery_backs_off_then_fails_for_good(app: Flask, client: Any) -> None:
    channel = Recorder()
    channel.fail = "421 try later"
    submit(client)
    worker = Worker(app, [channel])
    assert worker.run_once() == 1
    [delivery] = deliveries(app)
    wait = delivery.next_attempt_at - datetime.now(timezone.utc)
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_error == "421 try later"
    assert timedelta(seconds=10) < wait <= timedelta(seconds=45)
    assert worker.run_once() == 0  # not due yet
    for attempt in range(2, MAX_ATTEMPTS + 1):
        with app.app_context(), writing() as db:
            db.execute(update(Delivery).values(next_attempt_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        assert worker.run_once() == 1, attempt
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert worker.run_once() == 0


@pytest.mark.parametrize(("attempts", "low", "high"), [
    (1, 15, 45), (2, 30, 90), (3, 60, 180), (9, 3600, 10800), (40, 3600, 10800)])
def test_backoff_doubles_with_jitter_and_a_cap(attempts: int, low: int, high: int) -> None:
    assert retry_delay(attempts, lambda a, b: a) == timedelta(seconds=low)
    assert retry_delay(attempts, lambda a, b: b) == timedelta(seconds=high)


def test_a_worker_killed_mid_delivery_loses_nothing_and_the_key_stays(app: Flask, client: Any) -> None:
    submit(client)
    with app.app_context():
        outbox.dispatch([Recorder().recipients], datetime.now(timezone.utc))
        [(claimed, _)] = outbox.claim(datetime.now(timezone.utc), 10)  # …and then the worker dies
    channel = Recorder()
    worker = Worker(app, [channel])
    assert worker.run_once() == 0  # still claimed by the dead worker
    with app.app_context(), writing() as db:  # its claim lapses
        db.execute(update(Delivery).values(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert worker.run_once() == 1
    assert [key for key, _, _ in channel.sent] == [claimed.key]  # the same key: the receiver can drop a repeat


def test_workers_at_once_never_send_one_delivery_twice(database_url: str) -> None:
    writer = make_app(database_url)
    client = writer.test_client()
    for number in range(60):
        assert submit(client, body=f"Comment {number}.", name=f"Reader {number}").status_code == 202
    channel = Recorder()
    workers = [Worker(make_app(database_url), [channel]) for _ in range(4)]
    gate = threading.Barrier(len(workers))

    def drain(worker: Worker) -> None:
        gate.wait()
        for _ in range(20):
            worker.run_once()

    threads = [threading.Thread(target=drain, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    keys = [key for key, _, _ in channel.sent]
    assert len(keys) == 60 and len(set(keys)) == 60
    assert len(deliveries(writer)) == 60  # each event fanned out once, by one worker


def test_an_idle_worker_round_only_reads(app: Flask, client: Any) -> None:
    from sqlalchemy import event

    from moderation.shared import of

    submit(client)
    worker = Worker(app, [Recorder()])
    assert worker.run_once() == 1
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.upper())

    event.listen(of(app).engine, "before_cursor_execute", seen)
    try:
        assert worker.run_once() == 0
    finally:
        event.remove(of(app).engine, "before_cursor_execute", seen)
    assert statements  # it did look
    writes = [s for s in statements if any(word in s for word in ("IMMEDIATE", "UPDATE", "INSERT", "DELETE"))]
    assert writes == []  # no write lock taken from the submissions while there is nothing to do


def lapse(app: Flask) -> None:
    """End every claim's lease now, as two minutes would."""
    with app.app_context(), writing() as db:
        db.execute(update(Delivery).values(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1)))


def test_a_message_that_kills_its_worker_every_time_still_ends_failed(app: Flask, client: Any) -> None:
    submit(client)
    with app.app_context():
        outbox.dispatch([Recorder().recipients], datetime.now(timezone.utc))
        for _ in range(MAX_ATTEMPTS):
            assert len(outbox.claim(datetime.now(timezone.utc), 10)) == 1  # …and the worker dies, each time
            lapse(app)
        assert outbox.claim(datetime.now(timezone.utc), 10) == []
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert delivery.last_error and "stopped while sending" in delivery.last_error


def test_a_claim_taken_over_after_its_lease_records_nothing(app: Flask, client: Any) -> None:
    submit(client)
    with app.app_context():
        outbox.dispatch([Recorder().recipients], datetime.now(timezone.utc))
        [(slow, _)] = outbox.claim(datetime.now(timezone.utc), 10)  # a worker stuck on a slow receiver
        lapse(app)
        [(fresh, _)] = outbox.claim(datetime.now(timezone.utc), 10)  # another takes the delivery over
        assert outbox.finish(slow.id, datetime.now(timezone.utc), "timed out", claimed_until=slow.locked_until) \
            == "taken over"
        assert outbox.finish(fresh.id, datetime.now(timezone.utc), claimed_until=fresh.locked_until) == "delivered"
        assert outbox.finish(slow.id, datetime.now(timezone.utc), "late", claimed_until=slow.locked_until) \
            == "taken over"
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, None)


def test_a_batch_out_of_lease_time_gives_back_what_it_did_not_try(app: Flask, client: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from moderation.notify import worker as worker_module

    class Slow(Recorder):
        chunk = 1

        def deliver(self, batch: Sequence[tuple[Delivery, OutboxEvent | None]]) -> list[Outcome]:
            time.sleep(0.05)
            return super().deliver(batch)

    for number in range(6):
        submit(client, body=f"Comment {number}.")
    monkeypatch.setattr(worker_module, "LEASE_SHARE", 0.12 / outbox.LEASE.total_seconds())  # 0.12 s of lease
    channel = Slow()
    tried = Worker(app, [channel]).run_once()
    assert 1 <= tried < 6 and len(channel.sent) == tried
    rest = [d for d in deliveries(app) if d.status == "pending"]
    assert len(rest) == 6 - tried and all(d.locked_until is None and d.attempts == 0 for d in rest)
    monkeypatch.setattr(worker_module, "LEASE_SHARE", 0.5)
    while Worker(app, [channel]).run_once():
        pass
    assert len(channel.sent) == 6 and {d.status for d in deliveries(app)} == {"delivered"}
