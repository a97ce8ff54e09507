"""The log-in throttle: its pure rules, and over HTTP on each database and on Redis.

The owner is never locked out from an address of their own, an attacker is slowed per
address, per (name, address) and — once their address has failed — per name, a refused
attempt costs no password hash, and any name is a 401 or 429, never a 500.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from moderation.core import credentials
from moderation.core.addresses import client_key
from moderation.shared import of
from moderation.store.database import session
from moderation.store.models import RateCounter
from moderation.web.moderate.throttle import (
    MAX_DELAY,
    PREFIX,
    STREAK_SECONDS,
    digest,
    in_words,
    name_key,
    parse_limits,
    refundable,
    retry_after,
    throttle_secret,
    wait_after,
)

from helpers import MODERATOR_PASSWORD, add_moderator, csrf_from, log_in, make_app

SECRET = b"k" * 32
TOO_MANY = "Too many failed log-ins"


# --- The rules ---

@pytest.mark.parametrize(("failures", "seconds"), [
    (0, 0), (1, 0),  # the first failure is free: a typo put right at once
    (2, 1), (3, 2), (4, 4), (5, 8), (10, 256), (11, 512),
    (12, MAX_DELAY), (64, MAX_DELAY), (10**9, MAX_DELAY),
])
def test_wait_after(failures: int, seconds: int) -> None:
    assert wait_after(failures) == seconds


def test_wait_after_respects_its_cap() -> None:
    assert [wait_after(k, cap=5) for k in range(2, 7)] == [1, 2, 4, 5, 5]


@pytest.mark.parametrize(("expiry", "now", "seconds"), [
    (100.0, 99.9, 1), (100.0, 100.0, 1), (100.0, 150.0, 1), (100.0, 98.5, 2), (160.0, 100.0, 60),
])
def test_retry_after(expiry: float, now: float, seconds: int) -> None:
    assert retry_after(expiry, now) == seconds


@pytest.mark.parametrize(("expiry", "counted_at", "now", "expected"), [
    (160.0, 100.0, 101.0, True),   # counted in the window that is still live
    (130.0, 100.0, 101.0, True),   # a window that began before the count
    (161.0, 100.0, 101.0, True),   # Redis's whole-second expiry, a little late
    (175.0, 100.0, 116.0, False),  # a later window began after the count: no credit for it
    (101.5, 100.0, 101.0, False),  # about to end: leave it
    (100.0, 100.0, 101.0, False),  # already over (the database keeps the old end)
])
def test_refundable(expiry: float, counted_at: float, now: float, expected: bool) -> None:
    assert refundable(expiry, counted_at, 60, now) is expected


@pytest.mark.parametrize(("seconds", "words"), [
    (1, "1 second"), (2, "2 seconds"), (90, "90 seconds"), (91, "2 minutes"), (600, "10 minutes"),
])
def test_in_words(seconds: int, words: str) -> None:
    assert in_words(seconds) == words


@pytest.mark.parametrize("name", ["mod", "", "x" * 300, "y" * 100_000, "Ünïcødé 名前 🙂", "nul\0byte", "\ud800"])
def test_digests_are_short_whatever_the_name(name: str) -> None:
    key = digest(SECRET, name_key(name), "2001:db8:1:2::/64")
    assert len(key) == 32 and key.isalnum()
    assert name_key(name) not in key or len(name_key(name)) < 2


@pytest.mark.parametrize(("first", "second", "same"), [
    (("Mod",), ("mod",), False),               # the digest itself is exact …
    ((name_key("  MOD "),), (name_key("mod"),), True),  # … the name is casefolded before it
    ((name_key("Straße"),), (name_key("STRASSE"),), True),
    (("ab", "c"), ("a", "bc"), False),           # parts cannot run into each other
])
def test_digest_parts(first: tuple[str, ...], second: tuple[str, ...], same: bool) -> None:
    assert (digest(SECRET, *first) == digest(SECRET, *second)) is same
    assert digest(SECRET, *first) != digest(b"another secret", *first)


@pytest.mark.parametrize(("text", "amounts"), [
    ("5/minute;20/hour", [5, 20]),
    ("20/hour;5/minute", [5, 20]),  # shortest window first, whatever the order written
    ("3/second", [3]),
    ("", []),
    ("0", []),
])
def test_parse_limits(text: str, amounts: list[int]) -> None:
    assert [item.amount for item in parse_limits(text)] == amounts


# --- Over HTTP ---

@pytest.fixture
def storage(counters: dict[str, str]) -> str:
    """Where the counters live: '' (the database) or a flushed Redis database."""
    return counters.get("RATELIMIT_STORAGE", "")


def throttled_app(database_url: str, limit: str, storage: str = "", **settings: Any) -> Flask:
    """An app with moderators `mod` and `other` and this LOGIN_RATELIMIT."""
    app = make_app(database_url, LOGIN_RATELIMIT=limit, RATELIMIT_STORAGE=storage, **settings)
    add_moderator(app)
    add_moderator(app, "other")
    return app


def attempt(app: Flask, address: str, name: str = "mod", password: str = "wrong password") -> Any:
    """One log-in through the form from an address, with a fresh browser."""
    return log_in(app.test_client(), name, password, environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash checked from now on (the slow step a refusal must not reach)."""
    checked: list[str] = []
    real = credentials.check_password

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(credentials, "check_password", counting)
    return checked


def seed_failures(app: Flask, address: str, failures: int, name: str = "mod") -> int:
    """Add failures to a pair's streak straight in the storage, as if made (and waited out) earlier.

    Waits of seconds would make a test of them depend on how fast this machine is; a pair
    that already has a few failures earns waits long enough to measure. Returns the streak.
    """
    storage = of(app).counters
    pair = digest(throttle_secret(app.config["SECRET_KEY"]), name_key(name), client_key(address))
    count = storage.get(f"{PREFIX}/streak/{pair}")
    for _ in range(failures):
        count = storage.incr(f"{PREFIX}/streak/{pair}", STREAK_SECONDS)
    return count


def test_an_attacker_on_one_address_cannot_lock_the_owner_out(database_url: str, storage: str) -> None:
    app = throttled_app(database_url, "3/minute", storage)
    codes = [attempt(app, "203.0.113.66").status_code for _ in range(8)]
    assert codes[:2] == [401, 401] and codes[3:] == [429] * 5  # the third may have to wait its turn
    assert attempt(app, "203.0.113.66", password=MODERATOR_PASSWORD).status_code == 429
    owner = app.test_client()
    assert log_in(owner, environ_base={"REMOTE_ADDR": "198.51.100.10"}).status_code == 303
    assert owner.get("/moderate/").status_code == 200


def test_a_distributed_attacker_is_slowed_and_the_owner_is_not(database_url: str, storage: str,
                                                               hashes: list[str]) -> None:
    app = throttled_app(database_url, "3/minute", storage)
    bots = [f"203.0.113.{number}" for number in range(1, 7)]
    assert [attempt(app, bot).status_code for bot in bots] == [401] * 6  # each a first try from a clean address
    checked = len(hashes)
    second = [attempt(app, bot, password=f"guess {bot}") for bot in bots]
    assert [response.status_code for response in second] == [429] * 6  # they have failed: the name's limit binds
    assert all(TOO_MANY in response.get_data(as_text=True) for response in second)
    assert len(hashes) == checked  # and no refused guess cost a hash
    assert attempt(app, bots[0], "other").status_code == 401  # another name is not under attack
    assert attempt(app, "198.51.100.10", password=MODERATOR_PASSWORD).status_code == 303  # the owner, clean


def test_successful_log_ins_leave_the_address_clean(database_url: str, storage: str) -> None:
    app = throttled_app(database_url, "2/minute", storage)
    office = "198.51.100.20"
    for _ in range(4):  # more than the limit: successes are taken back
        assert attempt(app, office, password=MODERATOR_PASSWORD).status_code == 303
    for bot in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):  # the name is now over its limit
        assert attempt(app, bot).status_code == 401
    assert attempt(app, "203.0.113.1", password=MODERATOR_PASSWORD).status_code == 429
    assert attempt(app, office, password=MODERATOR_PASSWORD).status_code == 303


@pytest.mark.parametrize(("failures", "wait"), [(4, 4), (6, 16), (11, 512), (40, MAX_DELAY)])
def test_after_k_failures_a_pair_waits(database_url: str, storage: str, hashes: list[str],
                                       failures: int, wait: int) -> None:
    app = throttled_app(database_url, "100/minute", storage)
    address = "203.0.113.7"
    seed_failures(app, address, failures - 1)
    assert attempt(app, address).status_code == 401  # the k-th failure
    checked = len(hashes)
    refused = attempt(app, address, password=MODERATOR_PASSWORD)  # even the right password waits its turn
    seconds = int(refused.headers.get("Retry-After", 0))
    assert refused.status_code == 429 and wait // 2 < seconds <= wait
    assert f"please wait {in_words(seconds)} before trying again" in refused.get_data(as_text=True)
    assert len(hashes) == checked
    assert attempt(app, address, "other").status_code == 401  # a pair is one name on one address
    assert attempt(app, "203.0.113.8").status_code == 401  # the same name from elsewhere is not delayed


def test_the_first_failure_is_free_and_a_wait_passes(database_url: str) -> None:
    app = throttled_app(database_url, "100/minute")
    address = "203.0.113.7"
    assert [attempt(app, address).status_code for _ in range(2)] == [401, 401]  # no wait after a typo
    time.sleep(1.05)  # the wait the second failure earned
    assert attempt(app, address).status_code == 401
    assert seed_failures(app, address, 0) == 3


def test_a_success_ends_the_pair_s_streak(database_url: str, storage: str) -> None:
    app = throttled_app(database_url, "100/minute", storage)
    address = "203.0.113.9"
    seed_failures(app, address, 4)
    assert attempt(app, address, password=MODERATOR_PASSWORD).status_code == 303  # its turn: an 8 s gate
    assert seed_failures(app, address, 0) == 0
    assert [attempt(app, address).status_code for _ in range(2)] == [401, 401]  # the gate went with the streak
    assert seed_failures(app, address, 0) == 2


def test_a_refused_attempt_costs_no_password_hash(database_url: str, hashes: list[str]) -> None:
    app = throttled_app(database_url, "2/minute")
    assert [attempt(app, "203.0.113.5", name).status_code for name in ("mod", "other")] == [401, 401]
    assert len(hashes) == 2
    refused = [attempt(app, "203.0.113.5", name, password).status_code
               for name in ("mod", "other", "nobody") for password in ("wrong", MODERATOR_PASSWORD)]
    assert refused == [429] * 6  # the address is over its limit
    assert len(hashes) == 2
    app = throttled_app(database_url, "100/minute")
    seed_failures(app, "203.0.113.6", 5)
    assert attempt(app, "203.0.113.6").status_code == 401
    assert attempt(app, "203.0.113.6", password=MODERATOR_PASSWORD).status_code == 429  # the pair waits
    assert len(hashes) == 3


@pytest.mark.parametrize("name", ["m" * 64, "m" * 65, "x" * 300, "名" * 3000, "mod\0" * 100, " " * 300 + "mod"])
def test_any_name_is_a_wrong_name_never_a_500(database_url: str, name: str) -> None:
    app = throttled_app(database_url, "2/minute")
    codes = []
    for _ in range(3):  # the third is over the address's limit
        response = attempt(app, "203.0.113.4", name)
        codes.append(response.status_code)
        if response.status_code == 401:
            assert "Wrong name or password." in response.get_data(as_text=True)
    assert codes == [401, 401, 429]


def test_an_overlong_forwarded_address_is_counted_not_a_500(database_url: str) -> None:
    app = throttled_app(database_url, "2/minute", TRUSTED_PROXIES=1)
    client = app.test_client()
    headers = {"X-Forwarded-For": "y" * 300}
    codes = [log_in(client, name, headers=headers).status_code for name in ("a", "b", "c")]
    assert codes == [401, 401, 429]


def test_keys_are_digests_and_expire(database_url: str) -> None:
    app = throttled_app(database_url, "5/minute;20/hour")
    name, address = "SomeLongName" * 30, "203.0.113.200"
    for password in ("wrong", "wrong", MODERATOR_PASSWORD):
        attempt(app, address, name, password)
    attempt(app, address, password=MODERATOR_PASSWORD)
    with app.app_context():
        rows = session().execute(select(RateCounter.key, RateCounter.expires_at)).all()
    assert rows
    now = time.time()
    for key, expires_at in rows:
        assert len(key) < 100 and name.casefold()[:12] not in key.casefold() and address not in key
        assert now < expires_at <= now + STREAK_SECONDS + 1  # nothing lives longer than a day


def test_limit_0_turns_the_throttle_off(database_url: str) -> None:
    app = throttled_app(database_url, "0")
    assert [attempt(app, "203.0.113.3").status_code for _ in range(8)] == [401] * 8
    assert attempt(app, "203.0.113.3", password=MODERATOR_PASSWORD).status_code == 303
    with app.app_context():
        assert session().execute(select(RateCounter.key)).all() == []


def change_password(client: Any, current: str, new: str = "a new passphrase") -> Any:
    """Post the password page's form."""
    token = csrf_from(client, "/moderate/password")
    return client.post("/moderate/password", data={"csrf_token": token, "current_password": current,
                                                   "new_password": new, "confirm": new})


def test_wrong_current_passwords_count_against_the_address(database_url: str, storage: str,
                                                          hashes: list[str]) -> None:
    app = throttled_app(database_url, "3/minute", storage)
    client = app.test_client()
    assert log_in(client).status_code == 303
    for _ in range(4):  # the right current password with a refused new one is not a failure
        assert change_password(client, MODERATOR_PASSWORD, "short").status_code == 422
    assert [change_password(client, "wrong").status_code for _ in range(3)] == [422] * 3
    checked = len(hashes)
    refused = change_password(client, "wrong")
    assert (refused.status_code, int(refused.headers["Retry-After"]) > 0) == (429, True)
    assert TOO_MANY in refused.get_data(as_text=True)
    assert change_password(client, MODERATOR_PASSWORD).status_code == 429
    assert len(hashes) == checked
    assert log_in(app.test_client()).status_code == 429  # the same address, over its limit
