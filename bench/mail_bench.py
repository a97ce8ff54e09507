"""Benchmark of the email channel: how fast one worker drains queued mail, and what notifications
cost a submission.

Run from the project root:  .venv/bin/python bench/mail_bench.py [--database-url URL]  (about a minute)

The SMTP server (aiosmtpd's Sink, which accepts and drops every message) runs in a process of
its own pinned to core 0; this process — the worker for (a), the Flask test client for (b) —
is pinned to core 1, so neither borrows the other's CPU.
(a) Drain: QUEUED held comments, each fanned out into one email delivery for the one moderator;
    one Worker.run_once() loop sends them all (one SMTP connection per chunk of 50, the three
    link rows of each written first, each chunk's outcomes recorded when it is sent). Timed RUNS times (the deliveries put back to pending in
    between); the median is reported (target ≥ 200/s).
(b) Submissions per second through the Flask test client in-process, in alternating rounds of
    the same run: off (no SMTP setting); on (SMTP set, one moderator with an address: each held
    comment's event is fanned out into an email later, by the worker — the submission's own cost,
    target within 10% of off); on with both readers' boxes ticked (two subscription rows more in
    the comment's transaction; the confirmation is the worker's); and on while a `flask worker` process delivers meanwhile (pinned to
    core 0 beside the SMTP server: what sharing a 2-core machine with the worker costs).
Writes bench/results/mail.json (or mail_postgresql.json).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, update  # noqa: E402

from moderation import create_app  # noqa: E402
from moderation.notify.worker import Worker  # noqa: E402
from moderation.shared import of  # noqa: E402
from moderation.store import moderators, notices, outbox  # noqa: E402
from moderation.store.database import create_schema, session, writing  # noqa: E402
from moderation.store.outbox_models import Delivery  # noqa: E402

QUEUED, RUNS, ROUNDS, PER_ROUND = 2000, 3, 6, 300
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    """A free port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make(url: str, smtp_port: int | None) -> Any:
    """An app on url (schema made, one admin with an address), mailing 127.0.0.1:smtp_port if given."""
    config: dict[str, Any] = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "RATELIMIT": "0",
                              "MIN_FORM_SECONDS": 0, "RATELIMIT_STORAGE": "", "PURGE_EVERY_MINUTES": 0}
    if smtp_port:
        config.update(SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", MAIL_FROM="bench@news.example",
                      PUBLIC_URL="https://comments.news.example")
    app = create_app(config)
    create_schema(of(app).engine)
    with app.app_context():
        moment = datetime.now(timezone.utc)
        moderator, _ = moderators.save_moderator("bench", "pbkdf2:sha256:1$x$y", moment, "admin")
        notices.set_notices(moderator.id, "bench@news.example", "each", moment)
    return app


def submit_many(client: Any, count: int, tag: str, notify: bool = False) -> float:
    """Submit count held comments (ticking both readers' boxes when notify); seconds taken."""
    started = time.perf_counter()
    boxes = {"notify_replies": True, "notify_approval": True} if notify else {}
    for number in range(count):
        answer = client.post("/api/v1/articles/bench/comments", json={
            "name": f"Reader {tag} {number}", "email": f"r{number}@example.org", "body": f"Comment {tag} {number}.",
            **boxes})
        assert answer.status_code == 202, answer.json
    return time.perf_counter() - started


def drain(app: Any) -> list[float]:
    """(a): queue QUEUED email deliveries, then time one worker sending them, RUNS times."""
    submit_many(app.test_client(), QUEUED, "drain")
    worker = Worker(app)
    with app.app_context():
        while outbox.dispatch([channel.recipients for channel in worker.channels], datetime.now(timezone.utc)):
            pass
    rates = []
    for _ in range(RUNS):
        with app.app_context(), writing() as db:
            db.execute(update(Delivery).values(status="pending", attempts=0, delivered_at=None, locked_until=None,
                                               next_attempt_at=datetime.now(timezone.utc)))
        started = time.perf_counter()
        while worker.run_once():
            pass
        seconds = time.perf_counter() - started
        with app.app_context():
            delivered = session().scalar(select(func.count()).where(Delivery.status == "delivered"))
        assert delivered == QUEUED, delivered  # each accepted by the server (a refusal stays pending)
        rates.append(QUEUED / seconds)
    return rates


def submissions(on: Any, off: Any) -> dict[str, list[float]]:
    """(b): alternating rounds of PER_ROUND submissions: off; on (deliveries left for the worker);
    and on while a worker process, pinned to core 0, delivers meanwhile."""
    settings = {f"MODERATION_{name}": str(on.config[name]) for name in
                ("DATABASE_URL", "SECRET_KEY", "SMTP_URL", "MAIL_FROM", "PUBLIC_URL")}
    env = {name: value for name, value in os.environ.items() if not name.startswith("MODERATION_")}
    rates: dict[str, list[float]] = {"off": [], "on": [], "on_boxes": [], "on_delivering": []}
    for number in range(ROUNDS):
        order = [("off", off), ("on", on), ("on_boxes", on)]
        for name, app in order if number % 2 == 0 else order[::-1]:
            seconds = submit_many(app.test_client(), PER_ROUND, f"{name}{number}", notify=name == "on_boxes")
            rates[name].append(PER_ROUND / seconds)
        worker = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-m", "flask", "--app", "app", "worker"],
                                  cwd=ROOT, env={**env, **settings}, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            rates["on_delivering"].append(PER_ROUND / submit_many(on.test_client(), PER_ROUND, f"d{number}"))
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    return rates


def smtp_sink(port: int) -> subprocess.Popen[bytes]:
    """aiosmtpd's Sink on 127.0.0.1:port in its own process on core 0; returned once it listens."""
    server = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-m", "aiosmtpd", "-n", "-l",
                               f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the SMTP server did not start")


def main() -> None:
    """Run both parts and record the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database for (a) (default: SQLite files)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})  # this process on core 1; the SMTP server and the worker on core 0
    port = free_port()
    server = smtp_sink(port)
    try:
        with tempfile.TemporaryDirectory() as folder:
            drain_rates = drain(make(args.database_url or f"sqlite:///{folder}/drain.sqlite3", port))
            rates = submissions(make(f"sqlite:///{folder}/on.sqlite3", port),
                                make(f"sqlite:///{folder}/off.sqlite3", None))
    finally:
        server.terminate()
        server.wait(timeout=30)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    result = {"database": "postgresql" if args.database_url else "sqlite", "queued": QUEUED,
              "drain_per_second": [round(r) for r in drain_rates], "drain_median": round(statistics.median(drain_rates)),
              **{f"submissions_{name}": [round(r) for r in values] for name, values in rates.items()},
              **{f"submissions_{name}_median": round(value) for name, value in medians.items()},
              "ratio_on_off": round(medians["on"] / medians["off"], 3),
              "ratio_on_boxes_off": round(medians["on_boxes"] / medians["off"], 3),
              "ratio_on_delivering_off": round(medians["on_delivering"] / medians["off"], 3)}
    print(json.dumps(result, indent=2))
    suffix = "" if not args.database_url else "_postgresql"
    (RESULTS / f"mail{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
