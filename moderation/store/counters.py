"""Per-client limits on `limits` counters, shared by every worker and instance.

Counters live in the database by default (a `limits` storage backed by our engine, so
gunicorn's workers and every instance on the same database share them), or in Redis
when MODERATION_RATELIMIT_STORAGE names one. Clients are keyed by address: IPv4-mapped
IPv6 counts as IPv4, and IPv6 by its /64, which one subscriber usually holds whole.
Submissions are counted by `spend_submission`, which the intake calls once a submission
has passed the cheap checks and before any costly work: an invalid field costs nothing,
everything past that counts. Readers' reports are counted the same way by `spend_report`,
under limits of their own, before the comment is even looked up.
"""

from __future__ import annotations

import math
import random
import time
from contextlib import AbstractContextManager
from typing import cast

from flask import current_app
from limits import parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Connection, Engine, case, delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from moderation.core.addresses import client_key
from moderation.errors import ApiError
from moderation.shared import shared
from moderation.store.database import dialect_insert, release_reads
from moderation.store.models import RateCounter


class DatabaseStorage(Storage):
    """A fixed-window `limits` storage in the `rate_counters` table."""

    STORAGE_SCHEME = ["moderation-database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *, engine: Engine,
                 **options: float | str | bool) -> None:
        self.engine = engine
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        """What the database raises when it fails (the `limits` protocol)."""
        return SQLAlchemyError

    def _writing(self) -> AbstractContextManager[Connection]:
        return self.engine.execution_options(sqlite_begin="IMMEDIATE").begin()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add amount to key's window, starting a new window when the old one expired."""
        now = time.time()
        expired = RateCounter.expires_at <= now
        statement = dialect_insert(self.engine.dialect.name, RateCounter).values(
            key=key, count=amount, expires_at=now + expiry)
        statement = statement.on_conflict_do_update(
            index_elements=[RateCounter.key],
            set_={
                "count": case((expired, amount), else_=RateCounter.count + amount),
                "expires_at": case((expired, now + expiry), else_=RateCounter.expires_at),
            },
        ).returning(RateCounter.count)
        with self._writing() as connection:
            count: int = connection.execute(statement).scalar_one()
            if random.random() < 0.01:  # now and then, forget windows long gone
                connection.execute(delete(RateCounter).where(RateCounter.expires_at < now - 3600))
        return count

    def get(self, key: str) -> int:
        """The count in key's current window (0 when none)."""
        query = select(RateCounter.count).where(RateCounter.key == key, RateCounter.expires_at > time.time())
        with self.engine.connect() as connection:
            return connection.execute(query).scalar() or 0

    def get_expiry(self, key: str) -> float:
        """When key's window ends (now when there is none)."""
        query = select(RateCounter.expires_at).where(RateCounter.key == key)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar() or time.time()

    def check(self) -> bool:
        """True when the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        """Forget every counter."""
        with self._writing() as connection:
            count = connection.execute(select(func.count()).select_from(RateCounter)).scalar()
            connection.execute(delete(RateCounter))
        return count

    def clear(self, key: str) -> None:
        """Forget one counter."""
        with self._writing() as connection:
            connection.execute(delete(RateCounter).where(RateCounter.key == key))


def open_counters(uri: str, engine: Engine) -> Storage:
    """The counters every per-client limit shares: Redis (or any `limits` storage) when uri names
    one, else the database's table."""
    # Settings refuse async schemes (and per-process memory), so this is a synchronous Storage.
    return cast(Storage, storage_from_string(uri)) if uri else DatabaseStorage(engine=engine)


def submission_limits(rate: str, flood_seconds: int) -> str:
    """The configured limit joined with the flood interval (none at all when rate is empty)."""
    if not rate:
        return ""
    return f"{rate};1/{flood_seconds}seconds" if flood_seconds else rate


class RateLimited(ApiError):
    """A client went over one of its limits; Retry-After says for how long."""

    status, code = 429, "rate_limited"
    message = "Too many submissions from your address; please wait and try again."


def spend(limits_text: str, scope: str, key: str, message: str | None = None) -> None:
    """Count one request against each limit, or raise RateLimited (429, Retry-After; message: what it says).

    Each hit increments first and then compares, in one step of the storage (an upsert
    returning the count, or Redis INCR), so simultaneous requests cannot all slip past.
    """
    if not limits_text:
        return
    release_reads()  # the counter is a write on a connection of its own (or Redis)
    strategy = FixedWindowRateLimiter(shared().counters)
    for item in parse_many(limits_text):
        if not strategy.hit(item, scope, key):
            wait = strategy.get_window_stats(item, scope, key).reset_time - time.time()
            raise RateLimited(message, headers={"Retry-After": str(max(1, math.ceil(wait)))})


def spend_submission(address: str | None) -> None:
    """Count a submission that passed the cheap checks against its client's limits."""
    config = current_app.config
    spend(submission_limits(config["RATELIMIT"], config["FLOOD_SECONDS"]), "submissions", client_key(address))


def report_limits(rate: str, report_rate: str) -> str:
    """The reports' limit: none when per-client limits are off altogether (rate empty) or its own is."""
    return report_rate if rate else ""


def spend_report(address: str | None) -> None:
    """Count a valid report against its client's limits (before any database read about it)."""
    config = current_app.config
    spend(report_limits(config["RATELIMIT"], config["REPORT_RATELIMIT"]), "reports", client_key(address),
          "Too many reports from your address; please wait and try again.")
