"""Durability under a real server: gunicorn workers racing to write, and a SIGKILL mid-stream.

Each test runs gunicorn (several worker processes with several threads each) on the
`database_url` backend, then compares what the service acknowledged with what the
database holds: an acknowledged comment is never lost, duplicated or altered.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import make_url, select

from moderation.shared import of
from moderation.store.models import Article, Comment

from helpers import HTTP_TIMEOUT, TRANSPORT_ERRORS, Reply, fetch

QUEUES = ("pending", "approved", "rejected", "spam")

Stored = dict[int, tuple[str, str, str, str]]  # id -> (article, name, email, body)


def submission(number: int) -> dict[str, str]:
    """A distinct valid submission: its own author, email and multi-line Unicode body."""
    return {"name": f"Writer {number}", "email": f"writer{number}@example.org",
            "body": f"Comment {number} — durable, naïve café ✓\nsecond line of {number}"}


def post_comment(port: int, article: str, payload: dict[str, str], gate: threading.Barrier | None = None) -> Reply:
    """POST a submission to an article's comments."""
    return fetch(port, "POST", f"/api/v1/articles/{article}/comments", payload, gate=gate)


def burst(port: int, attempts: list[tuple[str, dict[str, str]]]) -> list[Reply]:
    """Send every (article, submission) at once, one thread and connection each; replies in order."""
    gate = threading.Barrier(len(attempts), timeout=30)  # every request leaves together
    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(lambda attempt: post_comment(port, *attempt, gate=gate), attempts))


def open_articles(port: int, articles: tuple[str, ...], first_number: int) -> Stored:
    """Give each article its first comment, one at a time; return what was acknowledged."""
    acknowledged: Stored = {}
    for number, article in enumerate(articles, start=first_number):
        payload = submission(number)
        status, body = post_comment(port, article, payload)
        assert status == 202, body
        acknowledged[body["id"]] = expected(article, payload)
    return acknowledged


def stored_comments(app: Flask) -> Stored:
    """Every comment row in the database, whatever its state, with the email opened."""
    vault = of(app).vault
    query = select(Comment.id, Comment.article_id, Comment.author_name, Comment.email_sealed,
                   Comment.email_key_id, Comment.body_text)
    with of(app).engine.connect() as connection:
        rows = connection.execute(query).all()
    return {row.id: (row.article_id, row.author_name, vault.open(row.email_sealed, row.email_key_id),
                     row.body_text) for row in rows}


def queued_comments(port: int, token: str) -> Stored:
    """Every comment in every queue, read page by page through the moderators' token API."""
    comments: Stored = {}
    for queue in QUEUES:  # a 202 may be held or (by policy) spam: look everywhere
        after = None
        for _page in range(100):
            query = {"status": queue, "limit": "200", **({"after": after} if after else {})}
            status, body = fetch(port, "GET", f"/api/v1/moderation/queue?{urlencode(query)}",
                                 headers={"Authorization": f"Bearer {token}"})
            assert status == 200, body
            for item in body["comments"]:
                assert item["id"] not in comments, f"comment {item['id']} listed twice"
                comments[item["id"]] = (item["article_id"], item["author"]["name"], item["email"], item["body"])
            after = body["next"]
            if not after:
                break
        else:
            raise AssertionError(f"the {queue} queue did not end within 100 pages")
    return comments


def expected(article: str, payload: dict[str, str]) -> tuple[str, str, str, str]:
    """How a submission should read back once stored."""
    return article, payload["name"], payload["email"], payload["body"]


def differences(acknowledged: Stored, stored: Stored) -> str:
    """A readable account of acknowledged comments that are missing or altered."""
    missing = sorted(set(acknowledged) - set(stored))
    altered = {key: (acknowledged[key], stored[key]) for key in acknowledged.keys() & stored.keys()
               if acknowledged[key] != stored[key]}
    return f"missing ids {missing}; altered (acknowledged, stored) {altered}"


def sqlite_path(database_url: str) -> str | None:
    """The file of a SQLite database URL, or None for another backend."""
    url = make_url(database_url)
    return url.database if url.get_backend_name() == "sqlite" else None


def integrity_check(path: str) -> list[str]:
    """SQLite's own verdict on the file: ['ok'] when it is sound."""
    connection = sqlite3.connect(path, timeout=30)
    try:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()


DISTINCT_ON_MAIN = 60
OTHER_ARTICLES = ("other-1", "other-2", "other-3")
DUPLICATE_GROUPS, COPIES = 4, 4


@pytest.mark.slow
def test_concurrent_submissions_are_neither_lost_nor_duplicated(database_url: str, app: Flask, serve) -> None:
    """Writers racing across processes: each distinct comment stored once, each duplicate refused."""
    server = serve(database_url, workers=3, threads=4)
    # The articles exist already: racing to create one is test_first_comments_… below.
    acknowledged = open_articles(server.port, ("durable", *OTHER_ARTICLES), first_number=900)
    distinct = [("durable", submission(n)) for n in range(DISTINCT_ON_MAIN)]
    distinct += [(article, submission(100 + n)) for n, article in enumerate(OTHER_ARTICLES * 2)]
    copies = [("durable", submission(200 + group)) for group in range(DUPLICATE_GROUPS) for _ in range(COPIES)]
    attempts = distinct + copies
    replies = burst(server.port, attempts)

    unexpected = [(attempt, reply) for attempt, reply in zip(attempts, replies) if reply[0] not in (202, 409)]
    assert not unexpected, f"{unexpected}\n--- server log ---\n{server.log()}"
    for (article, payload), (status, body) in zip(distinct, replies):
        assert (status, body.get("status")) == (202, "pending"), (payload, body)
        assert body["id"] not in acknowledged, f"id {body['id']} acknowledged twice"
        acknowledged[body["id"]] = expected(article, payload)
    for group in range(DUPLICATE_GROUPS):
        start = len(distinct) + group * COPIES
        group_replies = replies[start:start + COPIES]
        statuses = sorted(status for status, _ in group_replies)
        assert statuses == [202] + [409] * (COPIES - 1), group_replies
        assert all(body["error"] == "duplicate" for status, body in group_replies if status == 409)
        (first,) = [body for status, body in group_replies if status == 202]
        assert first["id"] not in acknowledged, f"id {first['id']} acknowledged twice"
        acknowledged[first["id"]] = expected(*copies[start - len(distinct)])

    stored = stored_comments(app)
    unacknowledged = sorted(set(stored) - set(acknowledged))
    assert stored == acknowledged, f"{differences(acknowledged, stored)}; unacknowledged ids {unacknowledged}"
    with of(app).engine.connect() as connection:
        articles = set(connection.execute(select(Article.id)).scalars())
    assert articles == {"durable", *OTHER_ARTICLES}
    assert "Traceback" not in server.log(), server.log()


WRITERS, PER_WRITER, KILL_AFTER = 6, 400, 60
CRASH_ARTICLES = ("crash-0", "crash-1", "crash-2")


@pytest.mark.slow
def test_acknowledged_comments_survive_sigkill(database_url: str, app: Flask, token: str, serve) -> None:
    """SIGKILL the whole server mid-stream: every comment answered 202 is there, intact, after a restart."""
    server = serve(database_url, workers=2, threads=4)
    acknowledged = open_articles(server.port, CRASH_ARTICLES, first_number=900_000)
    attempted = set(acknowledged.values())  # every submission sent, acknowledged or not
    refused: list[tuple[dict[str, str], Reply]] = []
    interrupted: list[str] = []  # how each writer ended: with a transport error, mid-stream
    lock = threading.Lock()

    def write(writer: int) -> None:
        for n in range(PER_WRITER):
            article, payload = CRASH_ARTICLES[n % len(CRASH_ARTICLES)], submission(writer * 1000 + n)
            with lock:
                attempted.add(expected(article, payload))
            try:
                status, body = post_comment(server.port, article, payload)
            except TRANSPORT_ERRORS as error:
                with lock:
                    interrupted.append(type(error).__name__)
                return
            with lock:
                if status == 202:
                    acknowledged[body["id"]] = expected(article, payload)
                else:
                    refused.append((payload, (status, body)))

    writers = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in writers:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < KILL_AFTER and not refused and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    for thread in writers:
        thread.join(timeout=HTTP_TIMEOUT + 5)
    assert not any(thread.is_alive() for thread in writers), "a writer did not stop after the kill"
    log = server.log()
    assert not refused, f"{refused[:5]}\n--- server log ---\n{log}"
    assert len(acknowledged) >= KILL_AFTER, f"only {len(acknowledged)} acknowledged before the deadline\n{log}"
    assert len(interrupted) == WRITERS, "every writer should have been cut off mid-stream by the kill"
    path = sqlite_path(database_url)
    if path:
        assert integrity_check(path) == ["ok"]

    server = serve(database_url, workers=2, threads=2)
    queued = queued_comments(server.port, token)
    assert acknowledged.keys() <= queued.keys(), differences(acknowledged, queued)
    assert {key: queued[key] for key in acknowledged} == acknowledged, differences(acknowledged, queued)
    # Requests cut off by the kill may or may not have committed, but nothing else may appear.
    strays = {key: value for key, value in queued.items() if value not in attempted}
    assert not strays, strays
    assert len(set(queued.values())) == len(queued), "a submission was stored twice"
    assert stored_comments(app) == queued

    status, body = post_comment(server.port, "crash-0", submission(999_999))
    assert status == 202, body
    assert body["id"] > max(queued), "an id was reused after the crash"
    server.stop()
    assert "Traceback" not in server.log(), server.log()
    if path:
        assert integrity_check(path) == ["ok"]
        with of(app).engine.connect() as connection:
            # What every server connection runs with: WAL, and an fsync on every commit.
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


FRESH_ARTICLES, FIRST_COMMENTS, ROUNDS = 8, 6, 5


@pytest.mark.slow
def test_first_comments_racing_to_create_an_article_are_all_kept(
        database_url: str, app: Flask, serve) -> None:
    """Distinct first comments on a new article, all at once: every one is stored, none called a duplicate."""
    server = serve(database_url, workers=3, threads=4)
    acknowledged: Stored = {}
    # A race is a matter of chance: a few rounds, each on new articles, stopping at the first loss.
    for round_ in range(ROUNDS):
        attempts = [(f"fresh-{round_}-{article}", submission(10_000 * (round_ + 1) + 10 * article + n))
                    for article in range(FRESH_ARTICLES) for n in range(FIRST_COMMENTS)]
        replies = burst(server.port, attempts)
        refused = [(attempt, reply) for attempt, reply in zip(attempts, replies) if reply[0] != 202]
        assert not refused, f"round {round_}: {len(refused)} of {len(attempts)} refused: {refused[:3]}"
        for attempt, (_, body) in zip(attempts, replies):
            assert body["id"] not in acknowledged, f"id {body['id']} acknowledged twice"
            acknowledged[body["id"]] = expected(*attempt)
    stored = stored_comments(app)
    assert stored == acknowledged, differences(acknowledged, stored)
    assert "Traceback" not in server.log(), server.log()
