"""A real outbox worker SIGKILLed mid-batch: no webhook is lost, and a repeat is only at-least-once.

`flask --app app worker` runs as a process of its own, sending queued comment.created events
to a slow receiver on 127.0.0.1, and is killed part-way; once its claims lapse a second worker
finishes. Every event arrives, every copy verifies under Standard Webhooks, a repeat is the
first copy again (same webhook-id, same body) and only of the chunk in flight at the kill, and
each delivery ends delivered. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook as Verifier

from moderation.notify.webhooks import WebhookChannel
from moderation.notify.worker import Worker
from moderation.store.database import session, writing
from moderation.store.outbox_models import Delivery

from helpers import OutboxWorker, make_app, submit

COMMENTS = 30
KILL_AFTER = 10  # requests received before the kill: some of the batch, not all of it
SLOW = 0.2  # seconds the receiver takes over each request while the first worker runs
WAIT = 30  # seconds any one wait below may take

# Real processes: left out of `make test-fast` with the gunicorn tests.
pytestmark = [pytest.mark.slow, pytest.mark.server]


@dataclass
class Inbox:
    """What the receiver was sent, (headers, body) in arrival order; it answers 200 after delay seconds."""

    url: str = ""
    delay: float = 0.0
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


def handler(inbox: Inbox) -> type[http.server.BaseHTTPRequestHandler]:
    """A request handler that records each request on arrival, then answers slowly."""

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 -- the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            inbox.got.append((dict(self.headers.items()), body))  # it reached us, whatever happens next
            time.sleep(inbox.delay)
            try:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the worker was killed while we took our time
                pass

        def log_message(self, *args: object) -> None:
            """Keep the test output quiet."""

    return Receiver


@contextmanager
def receiving(delay: float) -> Iterator[Inbox]:
    """A real HTTP receiver on 127.0.0.1 (a free port) for the length of the block."""
    inbox = Inbox(delay=delay)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(inbox))
    inbox.url = f"http://127.0.0.1:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield inbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def wait_for(done: Callable[[], bool], worker: OutboxWorker, what: str) -> None:
    """Poll until done() holds; fail, with the worker's log, after WAIT seconds or if it exits."""
    deadline = time.monotonic() + WAIT
    while not done():
        if worker.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}:\n{worker.log()}")
        time.sleep(0.01)


def deliveries(app: Flask) -> list[Delivery]:
    """Every delivery, oldest first, read afresh."""
    with app.app_context():
        return list(session().scalars(select(Delivery).order_by(Delivery.id)))


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_only_with_the_same_webhook_id(
        database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, WEBHOOKS_ALLOW_PRIVATE=True)
    settings = {"WEBHOOKS_ALLOW_PRIVATE": "1"}  # the receiver is on loopback
    with receiving(SLOW) as inbox:
        added = app.test_cli_runner().invoke(args=["webhook", "add", inbox.url])
        assert added.exit_code == 0, added.output
        webhook_id, secret = int(added.output.split()[1]), added.output.strip().splitlines()[-1]
        client = app.test_client()
        ids = [submit(client, name=f"Reader {n}", body=f"Comment number {n}.").json["id"] for n in range(COMMENTS)]

        first = OutboxWorker(database_url, tmp_path / "worker1.log", settings)
        try:
            wait_for(lambda: len(inbox.got) >= KILL_AFTER, first, f"{KILL_AFTER} deliveries")
            first.kill()  # SIGKILL, the whole process group: the chunk it was sending is not recorded
        finally:
            first.stop()
        sent_by_first = list(inbox.got)  # it is dead: nothing more comes from it
        assert KILL_AFTER <= len(sent_by_first) < COMMENTS, "the kill did not land mid-batch"
        unfinished = [d for d in deliveries(app) if d.status != "delivered"]
        recorded = COMMENTS - len(unfinished)  # the chunks it finished before it died
        assert len(deliveries(app)) == COMMENTS and unfinished and recorded >= KILL_AFTER - WebhookChannel.chunk
        assert all(d.status == "pending" and d.locked_until is not None for d in unfinished)
        assert Worker(app).run_once() == 0  # the dead worker's claims still hold every one of them

        # The lease (outbox.LEASE, two minutes) is what frees a dead worker's claims. Rather than
        # wait it out, end it now, as it would end on its own (as tests/test_mail.py does).
        with app.app_context(), writing() as db:
            db.execute(update(Delivery).where(Delivery.locked_until.is_not(None))
                       .values(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1)))
        inbox.delay = 0.0
        second = OutboxWorker(database_url, tmp_path / "worker2.log", settings)
        try:
            wait_for(lambda: all(d.status == "delivered" for d in deliveries(app)), second, "every delivery")
        finally:
            second.stop()  # SIGTERM: it finishes its round and says so
        assert second.process.returncode == 0 and "Outbox worker stopped." in second.log(), second.log()
        assert "Traceback" not in first.log() + second.log(), first.log() + second.log()
        received = list(inbox.got)

    first_copy: dict[str, bytes] = {}  # webhook-id -> the body first sent with it
    messages = []  # the payload of each distinct message
    for headers, body in received:
        payload = Verifier(secret).verify(body, headers)  # raises on a bad signature; each copy is signed afresh
        if headers["webhook-id"] not in first_copy:
            first_copy[headers["webhook-id"]] = body
            messages.append(payload)
        assert body == first_copy[headers["webhook-id"]]  # a repeat is the same message, byte for byte
    stored = deliveries(app)
    assert set(first_copy) == {d.key for d in stored} and len(first_copy) == COMMENTS  # nothing lost
    assert sorted(m["data"]["comment"]["id"] for m in messages) == sorted(ids)  # one per comment
    assert {m["type"] for m in messages} == {"comment.created"}
    # Neither worker sent any delivery twice: a repeat is only of what the killed one had sent.
    for sent in (sent_by_first, received[len(sent_by_first):]):
        keys = [headers["webhook-id"] for headers, _ in sent]
        assert len(keys) == len(set(keys)), keys
    # A repeat is only of the chunk in flight when it died: what it finished was recorded.
    assert len(received) - COMMENTS <= WebhookChannel.chunk
    # Each claim counts as an attempt (a message that kills its worker every time ends "failed").
    assert sorted(d.attempts for d in stored) == [1] * recorded + [2] * (COMMENTS - recorded)
    for delivery in stored:
        assert (delivery.status, delivery.channel, delivery.target) == ("delivered", "webhook",
                                                                        f"webhook:{webhook_id}")
        assert delivery.attempts >= 1 and delivery.delivered_at is not None
        assert delivery.locked_until is None and delivery.last_error is None
