"""Per-client submission limits with Flask-Limiter, shared by every worker and instance.

Counters live in the database by default (a `limits` storage backed by our engine, so
gunicorn's workers and every instance on the same database share them), or in Redis
when MODERATION_RATELIMIT_STORAGE names one. Clients are keyed by address: IPv4-mapped
IPv6 counts as IPv4, and IPv6 by its /64, which one subscriber usually holds whole.
"""

from __future__ import annotations

import functools
import ipaddress
import random
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits.storage import Storage
from sqlalchemy import Engine, case, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from .database import dialect_insert
from .models import RateCounter

SUBMISSION_ENDPOINTS = ("api.submit_comment", "pages.submit_form")
INVALID_STATUSES = frozenset({400, 413, 415, 422})


def client_key(address: str | None) -> str:
    """The rate-limit key of a client address: IPv4, or an IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class DatabaseStorage(Storage):
    """A fixed-window `limits` storage in the `rate_counters` table."""

    STORAGE_SCHEME = ["moderation-database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: object) -> None:
        self.engine: Engine = options.pop("engine")  # type: ignore[assignment]
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _writing(self):  # type: ignore[no-untyped-def]
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
            count = connection.execute(statement).scalar_one()
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


def init_app(app: Flask, engine: Engine) -> Limiter:
    """Trust the configured proxies, and limit submissions per client."""
    if app.config["TRUSTED_PROXIES"]:
        # The nearest proxy also says whether the client used https (for Secure cookies).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1)  # type: ignore[method-assign]
    storage = app.config["RATELIMIT_STORAGE"]
    limiter = Limiter(
        key_func=lambda: client_key(request.remote_addr),
        app=app,
        storage_uri=storage or "moderation-database://",
        storage_options={} if storage else {"engine": engine},
        strategy="fixed-window",
        headers_enabled=True,
        key_prefix="moderation",
    )
    app.extensions["moderation.limiter"] = limiter
    _scope_hooks(app, limiter)
    return limiter


def limit_views(app: Flask, decorator: Callable[[Any], Any], endpoints: Iterable[str]) -> None:
    """Put a Flask-Limiter limit on these views, and note them as limited."""
    for endpoint in endpoints:
        app.view_functions[endpoint] = decorator(app.view_functions[endpoint])
        app.extensions["moderation.limited"].add(endpoint)


def _scope_hooks(app: Flask, limiter: Limiter) -> None:
    """Run Flask-Limiter's per-request hooks only for views that have a limit.

    It registers them for every request, where they cost ~50 µs: a sixth of a cached
    GET of the public list, which no limit applies to (bench/results/api.md).
    """
    limited: set[str] = app.extensions.setdefault("moderation.limited", set())

    def scoped(hook: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(hook)
        def run(*args: Any) -> Any:
            if request.endpoint in limited:
                return hook(*args)
            return args[0] if args else None  # after_request hands the response on

        return run

    def belongs(hook: Any) -> bool:
        return getattr(hook, "__self__", None) is limiter or (isinstance(hook, partial) and limiter in hook.args)

    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks[None] = [scoped(hook) if belongs(hook) else hook for hook in hooks.get(None, [])]


def submission_limits(rate: str, flood_seconds: int) -> str:
    """The configured limit joined with the flood interval (none at all when rate is empty)."""
    if not rate:
        return ""
    return f"{rate};1/{flood_seconds}seconds" if flood_seconds else rate


def limit_submissions(app: Flask, limiter: Limiter) -> None:
    """Put the shared per-client limit on every submission endpoint.

    Submissions refused as invalid do not count, so a reader who fixes a field error
    and sends again is not told to wait; everything else (duplicates included) does.
    """
    shared = limiter.shared_limit(
        lambda: submission_limits(current_app.config["RATELIMIT"], current_app.config["FLOOD_SECONDS"]),
        scope="submissions",
        exempt_when=lambda: not current_app.config["RATELIMIT"],
        deduct_when=lambda response: response.status_code not in INVALID_STATUSES,
    )
    limit_views(app, shared, [endpoint for endpoint in SUBMISSION_ENDPOINTS if endpoint in app.view_functions])
