"""Jobs the service runs on its own: the retention purge, once per period across every worker.

The claim is one conditional UPDATE, so of many workers (threads here, processes and hosts
in production) exactly one runs each period's purge; a scheduled run that changed nothing
leaves no line in the audit log.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from moderation.housekeeping import run_due
from moderation.shared import of
from moderation.store.database import session, writing
from moderation.store.models import PURGE_JOB, AuditEntry, Comment, ScheduledJob

from helpers import make_app, submit

DAY = timedelta(days=1)


def backdate(app: Flask, comment_id: int, days: int) -> None:
    """Make a comment look as old as `days`."""
    with app.app_context(), writing() as db:
        db.execute(update(Comment).where(Comment.id == comment_id).values(
            created_at=datetime.now(timezone.utc) - days * DAY))


def purges(app: Flask) -> list[str | None]:
    """The details of every purge in the audit log."""
    with app.app_context():
        return list(session().scalars(select(AuditEntry.detail).where(AuditEntry.action == "purge")))


def comment_ids(app: Flask) -> list[int]:
    """Every stored comment's id."""
    with app.app_context():
        return list(session().scalars(select(Comment.id).order_by(Comment.id)))


def test_a_due_purge_runs_once_then_waits_for_its_period(app: Flask, client: Any) -> None:
    old, fresh = submit(client, body="Old and pending.").json["id"], submit(client, body="New.").json["id"]
    backdate(app, old, 31)
    app.config["PURGE_EVERY_MINUTES"] = 60
    now = datetime.now(timezone.utc)

    done = run_due(app, now)
    assert done is not None and (done.pending, done.spam) == (1, 0)
    assert comment_ids(app) == [fresh]
    assert purges(app) == ["scheduled: 1 pending, 0 spam deleted; 0 IP addresses anonymized"]

    backdate(app, fresh, 31)
    assert run_due(app, now + timedelta(minutes=59)) is None  # not due yet: nothing runs
    assert comment_ids(app) == [fresh]
    assert run_due(app, now + timedelta(minutes=60)) is not None
    assert comment_ids(app) == []
    assert run_due(app, now + timedelta(minutes=121)) is not None  # nothing left: it runs, and says nothing
    assert len(purges(app)) == 2
    with app.app_context():
        job = session().get(ScheduledJob, PURGE_JOB)
        assert job is not None and job.next_run_at == now + timedelta(minutes=181)


def test_many_workers_at_once_run_one_purge(database_url: str) -> None:
    writer = make_app(database_url)  # its requests start no purge of their own
    backdate(writer, submit(writer.test_client()).json["id"], 31)
    apps = [make_app(database_url, PURGE_EVERY_MINUTES=60) for _ in range(6)]
    now = datetime.now(timezone.utc)
    gate, results = threading.Barrier(len(apps)), []

    def worker(app: Flask) -> None:
        gate.wait()
        results.append(run_due(app, now))

    threads = [threading.Thread(target=worker, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == len(apps) and sum(result is not None for result in results) == 1
    assert len(purges(apps[0])) == 1 and comment_ids(apps[0]) == []


def seeded(database_url: str, days: int) -> int:
    """A pending comment `days` old, written by an app whose requests start no purge; its id."""
    writer = make_app(database_url)
    comment_id = submit(writer.test_client()).json["id"]
    backdate(writer, comment_id, days)
    return comment_id


def test_the_service_purges_on_its_own_after_its_first_request(database_url: str) -> None:
    seeded(database_url, 31)
    app = make_app(database_url, PURGE_EVERY_MINUTES=60)
    assert not of(app).housekeeper.running
    assert app.test_client().get("/healthz").status_code == 200  # the first request starts the thread
    assert of(app).housekeeper.running
    deadline = time.monotonic() + 20
    while comment_ids(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert comment_ids(app) == []
    assert purges(app) == ["scheduled: 1 pending, 0 spam deleted; 0 IP addresses anonymized"]


def test_off_means_off(database_url: str) -> None:
    old = seeded(database_url, 31)
    app = make_app(database_url, PURGE_EVERY_MINUTES=0)
    assert app.test_client().get("/healthz").status_code == 200
    assert not of(app).housekeeper.running
    time.sleep(0.2)
    assert comment_ids(app) == [old] and purges(app) == []


def test_the_purge_forgets_outbox_events_after_30_days(app: Flask, client: Any) -> None:
    from moderation.store.outbox_models import OutboxEvent

    old, fresh = submit(client, body="Old.").json["id"], submit(client, body="New.").json["id"]
    with app.app_context(), writing() as db:
        db.execute(update(OutboxEvent).where(OutboxEvent.comment_id == old).values(
            created_at=datetime.now(timezone.utc) - 31 * DAY))
    app.config["PURGE_EVERY_MINUTES"] = 60
    assert run_due(app, datetime.now(timezone.utc)) is not None
    with app.app_context():
        assert list(session().scalars(select(OutboxEvent.comment_id))) == [fresh]


def test_the_purge_forgets_expired_one_click_links(app: Flask, client: Any, token: str) -> None:
    from moderation.store import links
    from moderation.store.models import Moderator
    from moderation.store.outbox_models import ActionLink

    held = submit(client).json["id"]
    moment = datetime.now(timezone.utc)
    with app.app_context(), writing() as db:
        moderator_id = db.scalars(select(Moderator.id)).one()
        links.issue(db, moderator_id, held, moment - 8 * DAY, 7)  # mailed 8 days ago: expired a day ago
        links.issue(db, moderator_id, held, moment, 7)
    app.config["PURGE_EVERY_MINUTES"] = 60
    assert run_due(app, moment) is not None
    with app.app_context():
        left = session().scalars(select(ActionLink.expires_at)).all()
    assert len(left) == 3 and all(expires > moment for expires in left)


def test_the_purge_forgets_addresses_asked_long_ago_that_never_confirmed(app: Flask) -> None:
    from moderation.store.reader_models import ReaderConsent

    moment = datetime.now(timezone.utc)
    with app.app_context(), writing() as db:
        for digest, asked, confirmed, stopped in (("old", 31, None, None), ("recent", 29, None, None),
                                                  ("confirmed", 400, 399, None), ("stopped", 400, None, 399)):
            db.add(ReaderConsent(email_digest=digest, created_at=moment - asked * DAY, asked_at=moment - asked * DAY,
                                 confirmed_at=confirmed and moment - confirmed * DAY,
                                 stopped_at=stopped and moment - stopped * DAY))
    app.config["PURGE_EVERY_MINUTES"] = 60
    assert run_due(app, moment) is not None
    with app.app_context():
        assert sorted(session().scalars(select(ReaderConsent.email_digest))) == ["confirmed", "recent", "stopped"]
