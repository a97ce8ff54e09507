"""The database: engine set-up, one read session per app context, write transactions.

SQLite runs in WAL mode with full fsync on commit (an acknowledged comment survives a
crash) and foreign keys on; write transactions begin IMMEDIATE so concurrent writers
queue on the busy timeout instead of failing. PostgreSQL needs none of this.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, g
from sqlalchemy import Engine, create_engine, event, insert, inspect, make_url, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from moderation.errors import NotFound
from moderation.shared import shared
from moderation.store.models import EPOCH, JOBS, Base, RulesVersion, ScheduledJob

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)


Row = TypeVar("Row")

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
    """One read on the hottest path, run straight on a few DB-API connections of its own.

    The public list answers most requests with a single primary-key lookup; through
    the ORM session and the pool that lookup costs ~0.5 ms, straight on a driver
    connection ~10 µs. The connections are in autocommit mode, so they hold no snapshot
    between requests. A request takes an idle one (or opens one, lazily, so after gunicorn
    forks) and gives it back; at most KEEP_IDLE stay open, however many threads come and
    go (a thread-per-request server would otherwise leave one behind per request). They
    are closed with the engine.
    """

    KEEP_IDLE = 8

    def __init__(self, engine: Engine, statement: Any) -> None:
        self._engine = engine
        self._compiled = statement.compile(dialect=engine.dialect)
        self._sql = str(self._compiled)
        self._idle: collections.deque[Any] = collections.deque()  # append and pop are atomic
        self._closed = False
        self.executions = 0  # for tests that count what a request asks of the database
        self.opened = 0  # and how many connections it ever opened
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def first(self, **values: Any) -> Any:
        """The first row for these parameters, or None."""
        params = self._compiled.construct_params(values)
        if self._compiled.positional:
            params = tuple(params[name] for name in self._compiled.positiontup)
        for attempt in (1, 2):  # a connection the server dropped gets one fresh retry
            connection = self._checkout()
            try:
                cursor = connection.cursor()
                cursor.execute(self._sql, params)
                row = cursor.fetchone()
                cursor.close()
            except Exception:
                connection.close()
                if attempt == 2:
                    raise
                continue
            self._checkin(connection)
            self.executions += 1
            return row
        return None

    def _checkout(self) -> Any:
        try:
            return self._idle.pop()
        except IndexError:
            pass
        connection = self._engine.raw_connection()
        self.opened += 1
        driver = connection.driver_connection
        assert driver is not None  # only an invalidated connection has none, and this one is new
        connection.detach()  # ours now, not the pool's: close() really closes it
        if self._engine.dialect.name == "postgresql":
            driver.rollback()
            driver.autocommit = True
        return connection

    def _checkin(self, connection: Any) -> None:
        if self._closed or len(self._idle) >= self.KEEP_IDLE:
            connection.close()
        else:
            self._idle.append(connection)

    def close(self) -> None:
        """Close every idle connection (the engine is being disposed); later ones close on return."""
        self._closed = True
        while self._idle:
            try:
                self._idle.pop().close()
            except IndexError:
                break


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on an engine whose loaded objects stay readable after their transaction ends."""
    return sessionmaker(engine, expire_on_commit=False)


def init_app(app: Flask) -> None:
    """Close each app context's read session when the context ends."""
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """The current app's engine."""
    return shared().engine


def session() -> Session:
    """The current app context's read session, opened on first use."""
    if "db_session" not in g:
        g.db_session = shared().sessions()
    current: Session = g.db_session  # g holds anything: this is what the line above stored
    return current


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
    """A write transaction on its own session: committed on success, rolled back on error.

    The request's read session is released before (one pooled connection at a time) and
    after, so whatever the request reads next sees what it just wrote.
    """
    release_reads()
    try:
        with shared().sessions() as write_session, write_session.begin():
            write_session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            yield write_session
    finally:
        release_reads()


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
    """Create every missing table and index, the rules_version row and the jobs' rows; keep what exists.

    The fast way to a new database, for tests and benchmarks; `init-db` and `create-moderator`
    migrate instead. A database it
    makes from nothing is stamped at the latest revision, which a test keeps equal to the models.
    """
    from moderation.store import migrate

    created = not set(inspect(engine).get_table_names()) & set(Base.metadata.tables)
    Base.metadata.create_all(engine, checkfirst=True)
    with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as connection:
        if connection.scalar(select(RulesVersion.id)) is None:
            connection.execute(insert(RulesVersion).values(id=1, version=1))
        for job in JOBS:  # as the migrations insert them: due at once
            if connection.scalar(select(ScheduledJob.name).where(ScheduledJob.name == job)) is None:
                connection.execute(insert(ScheduledJob).values(name=job, next_run_at=EPOCH))
        if created:
            migrate.stamp_head(connection)


def locked(db: Session, model: type[Row], key: object, missing: str) -> Row:
    """The row of model with this primary key, locked until the transaction ends; NotFound(missing)
    when there is none."""
    found = db.get(model, key, with_for_update=True)
    if found is None:
        raise NotFound(missing)
    return found
