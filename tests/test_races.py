"""Limits that hold under real concurrency: gunicorn with several workers and threads.

A burst of simultaneous submissions from one address may accept at most the limit, on
database counters (SQLite, PostgreSQL) and on Redis; and more threads than database
connections get a 503 to retry, never a 500.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from helpers import fetch, make_app

BURST = 16
LIMIT = 3


def at_once(port: int, requests: list[tuple[str, str, Any, dict[str, str]]]) -> list[int]:
    """Send every (method, path, payload, headers) together, one connection each; their statuses."""
    gate = threading.Barrier(len(requests), timeout=30)

    def send(request: tuple[str, str, Any, dict[str, str]]) -> int:
        method, path, payload, headers = request
        return fetch(port, method, path, payload, headers=headers, gate=gate)[0]

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def submission(number: int) -> dict[str, str]:
    return {"name": f"Writer {number}", "email": f"w{number}@example.org", "body": f"Simultaneous comment {number}"}


@pytest.mark.slow
def test_a_burst_from_one_address_gets_at_most_the_limit(serve, database_url, counters) -> None:  # type: ignore[no-untyped-def]
    make_app(database_url)  # the schema
    server = serve(database_url, workers=2, threads=8,
                   settings={"RATELIMIT": f"{LIMIT}/minute", "FLOOD_SECONDS": "0", "TRUSTED_PROXIES": "1", **counters})
    burst = [("POST", "/api/v1/articles/race/comments", submission(number), {"X-Forwarded-For": "203.0.113.50"})
             for number in range(BURST)]
    statuses = sorted(at_once(server.port, burst))
    assert statuses == [202] * LIMIT + [429] * (BURST - LIMIT), statuses
    # Another address is not affected by the first one's burst.
    other = fetch(server.port, "POST", "/api/v1/articles/race/comments", submission(99),
                  headers={"X-Forwarded-For": "198.51.100.50"})
    assert other[0] == 202, other


@pytest.mark.slow
def test_the_flood_interval_holds_under_a_burst(serve, database_url) -> None:  # type: ignore[no-untyped-def]
    make_app(database_url)
    server = serve(database_url, workers=2, threads=8,
                   settings={"RATELIMIT": "100/minute", "FLOOD_SECONDS": "15", "TRUSTED_PROXIES": "1"})
    burst = [("POST", "/api/v1/articles/race/comments", submission(number), {"X-Forwarded-For": "203.0.113.51"})
             for number in range(BURST)]
    statuses = sorted(at_once(server.port, burst))
    assert statuses == [202] + [429] * (BURST - 1), statuses


@pytest.mark.slow
def test_more_threads_than_connections_queue_for_one(serve, database_url) -> None:  # type: ignore[no-untyped-def]
    make_app(database_url)
    server = serve(database_url, workers=1, threads=16, settings={"DATABASE_POOL_SIZE": "2"})
    requests = [("POST", "/api/v1/articles/pool/comments", submission(number), {}) if number % 2 else
                ("GET", "/api/v1/counts?article=pool&article=other", None, {}) for number in range(32)]
    statuses = sorted(at_once(server.port, requests))
    assert statuses == [200] * 16 + [202] * 16, statuses  # a request holds one connection at a time
    assert "Traceback" not in server.log()


@pytest.mark.slow
def test_sixteen_threads_on_the_default_pool_all_succeed(serve, database_url) -> None:  # type: ignore[no-untyped-def]
    make_app(database_url)
    server = serve(database_url, workers=2, threads=16)
    requests = [("POST", "/api/v1/articles/pool/comments", submission(number), {}) if number % 2 else
                ("GET", "/api/v1/articles/pool/comments", None, {}) for number in range(48)]
    statuses = sorted(at_once(server.port, requests))
    assert statuses == [200] * 24 + [202] * 24, statuses
