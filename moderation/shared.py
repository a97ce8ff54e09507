"""The objects an app builds once and every layer reaches — typed, by name, not by string key.

`create_app` builds one `Shared` and keeps it on the app. Code running for a request or a
command reaches it with `shared()`; code holding the app (middleware, tests) with `of(app)`.
The clock is `now()`. This module imports the types only for the type checker, so any
layer may use it without importing another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, cast

from flask import Flask, current_app

if TYPE_CHECKING:
    from limits.storage import Storage
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from moderation.core.privacy import EmailVault
    from moderation.housekeeping import Housekeeper
    from moderation.store.rules import RulesCache
    from moderation.store.versions import PublicVersions
    from moderation.web.moderate.throttle import LoginThrottle
    from moderation.web.pagecache import PageCache

KEY = "moderation"


@dataclass(frozen=True)
class Shared:
    """What one app's requests and commands share, in the order create_app builds it."""

    engine: Engine
    sessions: sessionmaker[Session]  # each write, and each request's reads, get a session of their own
    vault: EmailVault  # seals and digests commenters' emails
    versions: PublicVersions  # an article's public version and ETag, on the hot path
    rules: RulesCache  # the word lists and blocks, compiled once per change
    counters: Storage  # the per-client limits' counters: the database's, or Redis
    login_throttle: LoginThrottle
    pages: PageCache  # rendered public pages, by article version, bounded in bytes
    housekeeper: Housekeeper  # this process's thread for the scheduled retention purge


def of(app: Flask) -> Shared:
    """An app's shared objects, outside of its context."""
    return cast("Shared", app.extensions[KEY])


def shared() -> Shared:
    """The current app's shared objects."""
    return of(current_app)


def now() -> datetime:
    """The current time, timezone-aware UTC: the one clock that views and commands pass down."""
    return datetime.now(timezone.utc)
