"""Fixtures and hooks only: an app on each database backend, its client, moderators, servers.

Integration tests run once on SQLite and once on PostgreSQL; the PostgreSQL run needs
MODERATION_TEST_DATABASE_URL. With MODERATION_TEST_STRICT=1 (CI) a skipped test fails
the run, so no required suite can quietly go missing. Shared helpers live in helpers.py.
"""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from moderation.store.database import create_schema
from moderation.store.models import Base

from helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Classifier,
    Gunicorn,
    HostSite,
    Inbox,
    LiveServer,
    add_moderator,
    close_apps,
    free_port,
    log_in,
    make_app,
    sample_writers,
    setting_variables,
)

if TYPE_CHECKING:  # playwright is imported by the browser fixture only, when a browser test runs
    from playwright.sync_api import Browser

# The suite's own variables, read once before any test runs (the fixture below keeps them anyway).
PG_URL = os.environ.get("MODERATION_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("MODERATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
STRICT = os.environ.get("MODERATION_TEST_STRICT") == "1"

BROWSER_FIXTURES = {"browser", "live_server", "live_server_factory"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark what each test needs (browser, server, postgresql, redis), so `-m` can leave it out."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if fixtures & BROWSER_FIXTURES or item.path.name.endswith("_browser.py"):
            item.add_marker(pytest.mark.browser)
        if "serve" in fixtures:
            item.add_marker(pytest.mark.server)
        if "postgres_url" in fixtures or params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgresql)
        if "redis_url" in fixtures or params.get("counters") == "redis":
            item.add_marker(pytest.mark.redis)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In strict mode, any skipped test makes the run fail (tests left out by `-m` are not skipped)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if STRICT and skipped and exitstatus == 0:
        reporter.write_line(f"MODERATION_TEST_STRICT: {len(skipped)} test(s) skipped; failing the run.", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session", autouse=True)
def _no_settings_from_the_shell() -> Iterator[None]:
    """Remove every MODERATION_* setting from the environment for the run, before any fixture builds an app."""
    with pytest.MonkeyPatch.context() as patch:
        for name in setting_variables(os.environ):
            patch.delenv(name)
        yield


@pytest.fixture(autouse=True)
def _no_settings_left_by_another_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every MODERATION_* setting before each test too: an app gets only what its test gives."""
    for name in setting_variables(os.environ):
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL test database, emptied and given a fresh schema once per run."""
    if not PG_URL:
        pytest.skip("set MODERATION_TEST_DATABASE_URL to run the PostgreSQL tests")
    engine = create_engine(PG_URL)
    Base.metadata.drop_all(engine)
    create_schema(engine)
    engine.dispose()
    return PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh database: a new SQLite file, or the PostgreSQL test database emptied."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture(autouse=True)
def _close_databases() -> Iterator[None]:
    """Close the connection pools of every app a test made."""
    yield
    close_apps()


@pytest.fixture
def app(database_url: str) -> Flask:
    """The application on a fresh database."""
    return make_app(database_url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def moderator(app: Flask) -> str:
    """Moderator `mod` (password MODERATOR_PASSWORD); returns their API token."""
    return add_moderator(app)


@pytest.fixture
def token(moderator: str) -> str:
    """An API token of moderator `mod` (the `moderator` fixture's)."""
    return moderator


@pytest.fixture
def mod_client(app: Flask, moderator: str) -> FlaskClient:
    """A test client logged in to the web queue as `mod`."""
    client = app.test_client()
    response = log_in(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright, shared by the browser tests."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("browser tests need Debian's chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts() -> str:
    """The folder where browser tests save screenshots (kept out of git)."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def live_server_factory(tmp_path: Any) -> Iterator[Any]:
    """Start live servers on fresh SQLite databases: factory(**settings) -> LiveServer."""
    servers: list[LiveServer] = []

    def start(**overrides: Any) -> LiveServer:
        database = tmp_path / f"live{len(servers)}.sqlite3"
        servers.append(LiveServer(make_app(f"sqlite:///{database}", **overrides)))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def live_server(live_server_factory: Any) -> LiveServer:
    """One live server with default test settings."""
    return live_server_factory()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    """Start gunicorn servers: serve(database_url, workers=, threads=, settings=); all stopped at teardown."""
    servers: list[Gunicorn] = []

    def start(database_url: str, workers: int, threads: int, settings: dict[str, str] | None = None) -> Gunicorn:
        server = Gunicorn(database_url, tmp_path / f"gunicorn{len(servers)}.log", workers, threads, settings)
        servers.append(server)
        server.wait_until_ready()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> str:
    """A flushed Redis database the tests may use (skipped, and so failed in strict mode, without one)."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.flushdb()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    request.addfinalizer(connection.close)
    return REDIS_URL


@pytest.fixture(params=["database", "redis"])
def counters(request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings for where the counters live: the database, or a flushed Redis database."""
    if request.param == "database":
        return {}
    return {"RATELIMIT_STORAGE": request.getfixturevalue("redis_url")}


@pytest.fixture
def classifier() -> Iterator[str]:
    """The check's URL, with an API key in it as Akismet's has; every answer reset to "not spam"."""
    Classifier.answer, Classifier.delay, Classifier.status = b"false", 0.0, 200
    Classifier.seen.clear()
    Classifier.paths.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Classifier)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/1.1/comment-check?key=SECRET-API-KEY-123"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) running on 127.0.0.1, and its port."""
    from aiosmtpd.controller import Controller

    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture(scope="session")
def import_samples(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The import samples, written once a run: a WordPress export, a Disqus export (and gzipped), an Isso
    database and hostile files (tests/data/make_import_samples.py says what each holds)."""
    return sample_writers().write_samples(tmp_path_factory.mktemp("import-samples"))


@pytest.fixture
def host_site() -> Iterator[HostSite]:
    """A site owner's blog on its own origin, for the embed (HostSite.post publishes a post with it)."""
    site = HostSite()
    yield site
    site.stop()
