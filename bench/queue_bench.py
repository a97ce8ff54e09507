"""How the moderators' queue scales: its first page with 100 and with 100,000 pending comments.

Builds two databases per backend (small and large), logs in through the real form and
times GET /moderate/ in-process (routing, session check, queries, template, email
decryption: everything but the socket). The sizes are measured in alternating rounds so
a noisy shared machine slows both alike; the medians and their ratio are reported, and
the run fails when the large queue is more than 1.5 times slower.

    python bench/queue_bench.py                      # SQLite
    python bench/queue_bench.py --postgres URL       # and PostgreSQL (uses two schemas)

For comparison it also times a plain COUNT(*) of the pending comments, which is what the
page's counts would cost without their cap.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, delete, func, insert, select, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from moderation import create_app
from moderation.core.status import Status  # noqa: E402
from moderation.shared import of
from moderation.store import moderators
from moderation.store.database import create_schema, session, writing  # noqa: E402
from moderation.store.models import Article, Comment, Moderator

SIZES = (100, 100_000)
ARTICLES = 500
CHUNK = 5_000
LIMIT_RATIO = 1.5
PASSWORD = "bench password"


def make_app(url: str) -> Any:
    """An app on url with an empty schema and one moderator."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-not-for-production", "RATELIMIT": "0",
                      "LOGIN_RATELIMIT": "0", "TESTING": True})
    with app.app_context():
        create_schema(of(app).engine)
        with writing() as db:  # start empty, whatever an earlier run left
            for table in (Comment, Article, Moderator):
                db.execute(delete(table))
        moderators.save_moderator("bench", generate_password_hash(PASSWORD, "pbkdf2:sha256:1"), datetime.now(timezone.utc))
    return app


def fill(app: Any, pending: int) -> None:
    """Insert `pending` comments spread over ARTICLES articles, oldest first, in bulk."""
    vault = of(app).vault
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with app.app_context():
        with writing() as db:
            db.execute(insert(Article), [{"id": f"post-{n}", "title": f"Article number {n}",
                                          "url": f"https://blog.example/{n}", "closed": False, "version": 1,
                                          "created_at": start} for n in range(ARTICLES)])
        for first in range(0, pending, CHUNK):
            rows = []
            for n in range(first, min(pending, first + CHUNK)):
                email = f"reader{n}@example.org"
                sealed, key_id = vault.seal(email)
                body = f"Comment {n}: a reasonably ordinary remark about the article, with a few words."
                moment = start + timedelta(seconds=n)
                rows.append({"article_id": f"post-{n % ARTICLES}", "status": Status.PENDING,
                             "reason": "held: every comment is moderated", "author_name": f"Reader {n}",
                             "author_website": None, "email_sealed": sealed, "email_key_id": key_id,
                             "email_digest": vault.digest(email), "avatar": vault.avatar(email, f"bench-key-{n}"),
                             "body_text": body, "body_html": f"<p>{body}</p>",
                             "body_digest": hashlib.sha256(body.encode()).hexdigest(), "ip": "192.0.2.1",
                             "created_at": moment, "updated_at": moment})
            with writing() as db:
                db.execute(insert(Comment), rows)
        # What autovacuum would have done by now: statistics, and on PostgreSQL the
        # visibility map that lets the capped counts read the index alone.
        engine = of(app).engine
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")


def logged_in(app: Any) -> Any:
    """A test client logged in through the form."""
    client = app.test_client()
    page = client.get("/moderate/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/moderate/login", data={"name": "bench", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.status_code
    return client


def first_page(client: Any, pending: int) -> float:
    """Seconds to answer the queue's first page, checked to be the right page."""
    began = time.perf_counter()
    response = client.get("/moderate/")
    elapsed = time.perf_counter() - began
    body = response.get_data(as_text=True)
    assert response.status_code == 200, response.status_code
    assert body.count('<article class="comment"') == min(50, pending)
    assert f'id="pending-count" title="Pending comments">{"10,000+" if pending > 10_000 else pending}<' in body
    return elapsed


def plain_count(app: Any) -> float:
    """Seconds for an uncapped COUNT(*) of pending comments."""
    with app.app_context():
        began = time.perf_counter()
        session().execute(select(func.count()).select_from(Comment).where(Comment.status == Status.PENDING)).scalar()
        return time.perf_counter() - began


def measure(urls: dict[int, str], rounds: int, per_round: int) -> dict[str, Any]:
    """Build both sizes, then time them in alternating rounds; medians and their ratio."""
    apps, clients, times, counts = {}, {}, {size: [] for size in SIZES}, {size: [] for size in SIZES}
    for size in SIZES:
        began = time.perf_counter()
        apps[size] = make_app(urls[size])
        fill(apps[size], size)
        clients[size] = logged_in(apps[size])
        print(f"  filled {size:,} pending in {time.perf_counter() - began:.1f} s", flush=True)
    for size in SIZES:  # warm caches, templates and connection pools
        for _ in range(5):
            first_page(clients[size], size)
    for _ in range(rounds):
        for size in SIZES:
            times[size] += [first_page(clients[size], size) for _ in range(per_round)]
            counts[size] += [plain_count(apps[size]) for _ in range(3)]
    for app in apps.values():
        of(app).engine.dispose()
    medians = {size: statistics.median(times[size]) for size in SIZES}
    return {"medians": medians, "p90": {size: statistics.quantiles(times[size], n=10)[-1] for size in SIZES},
            "counts": {size: statistics.median(counts[size]) for size in SIZES},
            "samples": len(times[SIZES[0]]), "ratio": medians[SIZES[1]] / medians[SIZES[0]]}


def postgres_urls(url: str) -> dict[int, str]:
    """One schema per size in the given database, made fresh."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for size in SIZES:
            connection.execute(text(f"DROP SCHEMA IF EXISTS queue_bench_{size} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA queue_bench_{size}"))
    engine.dispose()
    joiner = "&" if "?" in url else "?"
    return {size: f"{url}{joiner}options=-csearch_path%3Dqueue_bench_{size}" for size in SIZES}


def drop_postgres_schemas(url: str) -> None:
    """Leave the database as it was found."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for size in SIZES:
            connection.execute(text(f"DROP SCHEMA IF EXISTS queue_bench_{size} CASCADE"))
    engine.dispose()


def report(backend: str, result: dict[str, Any]) -> str:
    """One markdown table row per size, and the verdict."""
    lines = [f"### {backend}", "", f"{result['samples']} timed requests per size, in alternating rounds.", "",
             "| pending | median first page | p90 | uncapped COUNT(*) median |", "|---:|---:|---:|---:|"]
    for size in SIZES:
        lines.append(f"| {size:,} | {result['medians'][size] * 1000:.1f} ms | {result['p90'][size] * 1000:.1f} ms "
                     f"| {result['counts'][size] * 1000:.2f} ms |")
    verdict = "within" if result["ratio"] <= LIMIT_RATIO else "OVER"
    lines += ["", f"Ratio of medians (100,000 / 100): **{result['ratio']:.2f}** — {verdict} the {LIMIT_RATIO}× limit.",
              ""]
    return "\n".join(lines)


def main() -> int:
    """Run the benchmark on SQLite and, when given a URL, PostgreSQL; print markdown."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database (two schemas)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=15)
    args = parser.parse_args()
    outputs, ok = [], True
    with tempfile.TemporaryDirectory(prefix="queue-bench-") as folder:
        print("SQLite", flush=True)
        result = measure({size: f"sqlite:///{folder}/queue-{size}.sqlite3" for size in SIZES}, args.rounds,
                         args.per_round)
        outputs.append(report("SQLite", result))
        ok &= result["ratio"] <= LIMIT_RATIO
    if args.postgres:
        print("PostgreSQL", flush=True)
        try:
            result = measure(postgres_urls(args.postgres), args.rounds, args.per_round)
        finally:
            drop_postgres_schemas(args.postgres)
        outputs.append(report("PostgreSQL", result))
        ok &= result["ratio"] <= LIMIT_RATIO
    print("\n" + "\n".join(outputs))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
