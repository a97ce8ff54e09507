"""The database: engine set-up, one read session per app context, write transactions.

SQLite runs in WAL mode with full fsync on commit (an acknowledged comment survives a
crash) and foreign keys on; write transactions begin IMMEDIATE so concurrent writers
queue on the busy timeout instead of failing. PostgreSQL needs none of this.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, insert, make_url, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from .models import Base, RulesVersion

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)


POOL_TIMEOUT = 10  # seconds a request waits for a free connection before its 503


def make_engine(url: str, pool_size: int = 20) -> Engine:
    """Create the engine for a database URL, with SQLite made durable and concurrent.

    pool_size is the most connections this process opens; a request that finds none free
    within POOL_TIMEOUT raises sqlalchemy.exc.TimeoutError, which the error handler answers 503.
    """
    pool = {"pool_size": min(5, pool_size), "max_overflow": pool_size - min(5, pool_size),
            "pool_timeout": POOL_TIMEOUT}
    if not url.startswith("sqlite"):
        return create_engine(url, pool_recycle=1800, **pool)
    in_memory = make_url(url).database in (None, "", ":memory:")  # one connection per thread, no pool
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                           **({} if in_memory else pool))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class HotQuery:
    """One read on the hottest path, run on a DB-API connection kept per thread.

    The public list answers most requests with a single primary-key lookup; through
    the ORM session and the pool that lookup costs ~0.5 ms, straight on a driver
    connection ~10 µs. The connection is in autocommit mode, so it holds no snapshot
    between requests; it is opened lazily in each thread (so after gunicorn forks) and
    closed with the engine.
    """

    def __init__(self, engine: Engine, statement: Any) -> None:
        self._engine = engine
        self._compiled = statement.compile(dialect=engine.dialect)
        self._sql = str(self._compiled)
        self._local = threading.local()
        self._open: set[Any] = set()
        self._lock = threading.Lock()
        self.executions = 0  # for tests that count what a request asks of the database
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def first(self, **values: Any) -> Any:
        """The first row for these parameters, or None."""
        params = self._compiled.construct_params(values)
        if self._compiled.positional:
            params = tuple(params[name] for name in self._compiled.positiontup)
        for attempt in (1, 2):  # a connection the server dropped gets one fresh retry
            connection = self._connection()
            try:
                cursor = connection.cursor()
                cursor.execute(self._sql, params)
                row = cursor.fetchone()
                cursor.close()
            except Exception:
                self._discard(connection)
                if attempt == 2:
                    raise
                continue
            self.executions += 1
            return row
        return None

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._engine.raw_connection()
            driver = connection.driver_connection
            connection.detach()  # ours now, not the pool's: close() really closes it
            if self._engine.dialect.name == "postgresql":
                driver.rollback()
                driver.autocommit = True
            self._local.connection = connection
            with self._lock:
                self._open.add(connection)
        return connection

    def _discard(self, connection: Any) -> None:
        self._local.connection = None
        with self._lock:
            self._open.discard(connection)
        connection.close()

    def close(self) -> None:
        """Close every thread's connection (the engine is being disposed)."""
        with self._lock:
            connections, self._open = self._open, set()
        for connection in connections:
            connection.close()


def init_app(app: Flask) -> None:
    """Create the engine and session factory, and close the session after each request."""
    engine = make_engine(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"])
    app.extensions["moderation.engine"] = engine
    app.extensions["moderation.sessions"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """The current app's engine."""
    return engine_of(current_app)


def engine_of(app: Flask) -> Engine:
    """An app's engine, outside of its context."""
    return app.extensions["moderation.engine"]


def session() -> Session:
    """The current app context's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["moderation.sessions"]()
    return g.db_session


def release_reads() -> None:
    """Hand the request's read connection back to the pool (what it loaded stays readable).

    Called before a request writes, so that a request holds at most one pooled connection
    at a time: however many threads share the pool, none waits for a second connection
    while holding its first, and the next read sees what was just written.
    """
    if "db_session" in g:
        g.db_session.close()


@contextmanager
def writing() -> Iterator[Session]:
    """A write transaction on its own session: committed on success, rolled back on error."""
    release_reads()
    with current_app.extensions["moderation.sessions"]() as write_session, write_session.begin():
        write_session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        yield write_session


def _close_session(_exception: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character `\\`) that finds text anywhere, its wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def dialect_insert(dialect_name: str, model: Any) -> Any:
    """An INSERT that supports ON CONFLICT, for PostgreSQL or SQLite."""
    return (postgresql.insert if dialect_name == "postgresql" else sqlite.insert)(model)


def create_schema(engine: Engine) -> None:
    """Create every missing table and index, and the one rules_version row; keep what exists."""
    Base.metadata.create_all(engine, checkfirst=True)
    with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as connection:
        if connection.scalar(select(RulesVersion.id)) is None:
            connection.execute(insert(RulesVersion).values(id=1, version=1))
