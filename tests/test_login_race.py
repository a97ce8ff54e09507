"""Simultaneous wrong passwords against real gunicorn: each is counted before it is checked.

A burst of 16 requests from one address, released together from their own connections,
may have at most the limit's number of passwords checked (401 or 422); the rest are 429.
Runs on SQLite and PostgreSQL counters, and on Redis.
"""

from __future__ import annotations

import http.client
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest

from helpers import MODERATOR_PASSWORD, add_moderator, make_app

LIMIT = 5
BURST = 16
TIMEOUT = 30  # seconds; SQLite writers queue on the busy timeout

Reply = tuple[int, str, str]  # status, Set-Cookie, body


def send(port: int, method: str, path: str, address: str, cookie: str = "", form: dict[str, str] | None = None,
         gate: threading.Barrier | None = None) -> Reply:
    """One request on its own connection from a forwarded address; with gate, connect and then wait."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.connect()
        if gate is not None:
            gate.wait(timeout=TIMEOUT)
        headers = {"X-Forwarded-For": address, "Cookie": cookie}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read().decode(errors="replace")
    finally:
        connection.close()


def browser_state(port: int, path: str, address: str, cookie: str = "") -> tuple[str, str]:
    """The session cookie and the CSRF token of a moderator page, as a browser would hold them."""
    status, set_cookie, body = send(port, "GET", path, address, cookie)
    assert status == 200, (status, body[:300])
    match = re.search(r'name="csrf_token" value="([^"]+)"', body)
    assert match, body[:300]
    return (set_cookie.split(";")[0] or cookie), match.group(1)


def burst(port: int, path: str, address: str, cookie: str, forms: list[dict[str, str]]) -> list[int]:
    """Send every form at once (one connection each, released by a barrier); the statuses."""
    gate = threading.Barrier(len(forms))
    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        replies = list(pool.map(lambda form: send(port, "POST", path, address, cookie, form, gate), forms))
    return sorted(status for status, _, _ in replies)


@pytest.fixture
def server(serve: Any, database_url: str, counters: dict[str, str]) -> Any:
    """gunicorn, 2 workers of 8 threads, behind one trusted proxy (so each burst has its own address)."""
    add_moderator(make_app(database_url))
    return serve(database_url, workers=2, threads=8,
                 settings={"LOGIN_RATELIMIT": f"{LIMIT}/minute", "TRUSTED_PROXIES": "1", **counters})


def wrong_log_ins(port: int, address: str, names: list[str]) -> list[int]:
    """A burst of wrong passwords for these names from one address, on one cookie and token."""
    cookie, token = browser_state(port, "/moderate/login", address)
    forms = [{"csrf_token": token, "name": name, "password": f"guess {number}"} for number, name in enumerate(names)]
    return burst(port, "/moderate/login", address, cookie, forms)


def wrong_current_passwords(port: int, address: str) -> list[int]:
    """Log in from address, then a burst of wrong current passwords on the password page."""
    cookie, token = browser_state(port, "/moderate/login", address)
    status, set_cookie, _ = send(port, "POST", "/moderate/login", address, cookie,
                                 {"csrf_token": token, "name": "mod", "password": MODERATOR_PASSWORD})
    assert status == 303
    cookie, token = browser_state(port, "/moderate/password", address, set_cookie.split(";")[0])
    forms = [{"csrf_token": token, "current_password": f"guess {number}", "new_password": "a new passphrase",
              "confirm": "a new passphrase"} for number in range(BURST)]
    return burst(port, "/moderate/password", address, cookie, forms)


@pytest.mark.slow
def test_bursts_of_wrong_passwords_get_at_most_the_limit_checked(server: Any) -> None:
    # Many names: no pair to wait for, so exactly the address's limit is checked (401), the rest refused.
    statuses = wrong_log_ins(server.port, "203.0.113.11", [f"mod{number}" for number in range(BURST)])
    assert statuses == [401] * LIMIT + [429] * (BURST - LIMIT), statuses
    # One name: the address's limit and the pair's turn both apply; never more than the limit.
    statuses = wrong_log_ins(server.port, "203.0.113.10", ["mod"] * BURST)
    assert set(statuses) <= {401, 429} and 1 <= statuses.count(401) <= LIMIT, statuses
    # The password page: a successful log-in leaves the address clean, then the same limit holds.
    statuses = wrong_current_passwords(server.port, "203.0.113.12")
    assert statuses == [422] * LIMIT + [429] * (BURST - LIMIT), statuses
    # The owner, on an address of their own, is not locked out by any of it.
    cookie, token = browser_state(server.port, "/moderate/login", "198.51.100.1")
    owner = {"csrf_token": token, "name": "mod", "password": MODERATOR_PASSWORD}
    assert send(server.port, "POST", "/moderate/login", "198.51.100.1", cookie, owner)[0] == 303
