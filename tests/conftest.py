"""Fixtures: an app on each database backend, its client and CLI runner, and helpers.

Integration tests run once on SQLite and once on PostgreSQL; the PostgreSQL run needs
MODERATION_TEST_DATABASE_URL. With MODERATION_TEST_STRICT=1 (CI) a skipped test fails
the run, so no required suite can quietly go missing.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from moderation import create_app
from moderation.shared import of
from moderation.store.database import create_schema
from moderation.store.models import Base

TEST_SECRET = "test-secret-key-not-for-production"
PG_URL = os.environ.get("MODERATION_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("MODERATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
STRICT = os.environ.get("MODERATION_TEST_STRICT") == "1"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In strict mode, any skipped test makes the run fail."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if STRICT and skipped and exitstatus == 0:
        reporter.write_line(f"MODERATION_TEST_STRICT: {len(skipped)} test(s) skipped; failing the run.", red=True)
        session.exitstatus = 1


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


_APPS: list[Flask] = []


def make_app(database_url: str, **overrides: Any) -> Flask:
    """An app on database_url with the schema in place.

    Rate limits and the minimum form time are off unless overridden: tests type faster
    than people and post more often.
    """
    config = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, "RATELIMIT": "0",
              "MIN_FORM_SECONDS": 0, "RATELIMIT_STORAGE": "", "TESTING": True, **overrides}
    app = create_app(config)
    create_schema(of(app).engine)
    _APPS.append(app)
    return app


@pytest.fixture(autouse=True)
def _close_databases() -> Iterator[None]:
    """Close the connection pools of every app a test made."""
    yield
    while _APPS:
        of(_APPS.pop()).engine.dispose()


@pytest.fixture
def app(database_url: str) -> Flask:
    """The application on a fresh database."""
    return make_app(database_url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def token(runner) -> str:  # type: ignore[no-untyped-def]
    """A moderator API token made through the CLI, as an operator would."""
    return make_token(runner)


def make_token(runner) -> str:  # type: ignore[no-untyped-def]
    """Create moderator `mod` and an API token for it with the CLI; return the token."""
    result = runner.invoke(args=["create-moderator", "mod", "--password-stdin"], input="correct horse\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-token", "mod"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def comment(**fields: Any) -> dict[str, Any]:
    """A valid submission, with fields overridden."""
    return {"name": "Ann Reader", "email": "ann@example.org", "body": "A thoughtful comment.", **fields}


def submit(client: FlaskClient, article: str = "12345", **fields: Any):  # type: ignore[no-untyped-def]
    """POST a submission to an article."""
    return client.post(f"/api/v1/articles/{article}/comments", json=comment(**fields))


def moderate(client: FlaskClient, token: str, comment_id: int, action: str):  # type: ignore[no-untyped-def]
    """Apply a moderation action through the token API."""
    return client.post(f"/api/v1/moderation/comments/{comment_id}", json={"action": action},
                       headers={"Authorization": f"Bearer {token}"})


def approved(client: FlaskClient, token: str, article: str = "12345", **fields: Any) -> int:
    """Submit and approve a comment; return its id."""
    response = submit(client, article, **fields)
    assert response.status_code == 202, response.json
    assert moderate(client, token, response.json["id"], "approve").status_code == 200
    return response.json["id"]


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
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


class LiveServer:
    """The app served over real HTTP on 127.0.0.1 from a thread, for browser tests."""

    def __init__(self, app: Flask) -> None:
        from werkzeug.serving import make_server

        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._thread.join(timeout=10)


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


# --- The moderators' web queue (test_queue.py, test_queue_browser.py) ---

MODERATOR_PASSWORD = "correct horse"
# A deliberately cheap hash keeps the suite fast; log-in checks any stored method the same way.
CHEAP_HASH = "pbkdf2:sha256:1"


def add_moderator(app: Flask, name: str = "mod", password: str = MODERATOR_PASSWORD) -> str:
    """Create a moderator (or reset their password) and return a new API token of theirs."""
    from datetime import datetime, timezone

    from werkzeug.security import generate_password_hash

    from moderation.core.credentials import new_token, token_hash
    from moderation.store import moderators

    with app.app_context():
        moderators.save_moderator(name, generate_password_hash(password, CHEAP_HASH), datetime.now(timezone.utc))
        token = new_token()
        moderators.add_token(moderators.moderator_by_name(name).id, token_hash(token), datetime.now(timezone.utc))
    return token


def csrf_from(client: FlaskClient, path: str = "/moderate/login", **kwargs: Any) -> str:
    """The CSRF token in the first form of a moderator page."""
    import re

    page = client.get(path, **kwargs)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def log_in(client: FlaskClient, name: str = "mod", password: str = MODERATOR_PASSWORD, **kwargs: Any):  # type: ignore[no-untyped-def]
    """Post the log-in form as a browser would, CSRF token included."""
    data = {"name": name, "password": password, "csrf_token": csrf_from(client, **kwargs)}
    return client.post("/moderate/login", data=data, **kwargs)


@pytest.fixture
def moderator(app: Flask) -> str:
    """Moderator `mod` (password MODERATOR_PASSWORD); returns their API token."""
    return add_moderator(app)


@pytest.fixture
def mod_client(app: Flask, moderator: str) -> FlaskClient:
    """A test client logged in to the web queue as `mod`."""
    client = app.test_client()
    response = log_in(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


# --- gunicorn for tests that need real processes and threads (durability, races) ---

ROOT = Path(__file__).resolve().parent.parent
HTTP_TIMEOUT = 20  # seconds; SQLite writers may queue on the busy timeout
START_TIMEOUT = 30
STOP_TIMEOUT = 10
LISTENING = re.compile(rb"Listening at: http://127\.0\.0\.1:(\d+)")
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)

Reply = tuple[int, dict[str, Any]]


class Gunicorn:
    """gunicorn serving app:app on 127.0.0.1 in its own process group; its log kept in a file."""

    def __init__(self, database_url: str, log_path: Path, workers: int, threads: int,
                 settings: dict[str, str] | None = None) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("MODERATION_")}
        env.update(MODERATION_DATABASE_URL=database_url, MODERATION_SECRET_KEY=TEST_SECRET,
                   MODERATION_RATELIMIT="0", PYTHONUNBUFFERED="1")
        env.update({f"MODERATION_{name}": value for name, value in (settings or {}).items()})
        command = [sys.executable, "-m", "gunicorn", "app:app", "--bind", "127.0.0.1:0",
                   "--workers", str(workers), "--threads", str(threads), "--no-control-socket",
                   "--timeout", "60", "--graceful-timeout", "5"]
        self.log_path = log_path
        with open(log_path, "wb") as log:
            # A session of its own: one killpg reaches the master and every worker.
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.port = 0

    def log(self) -> str:
        """Everything the server has written so far."""
        return self.log_path.read_text(errors="replace")

    def wait_until_ready(self) -> None:
        """Wait for the bound port in the log, then for /healthz to answer 200."""
        deadline = time.monotonic() + START_TIMEOUT
        while not self.port:
            match = LISTENING.search(self.log_path.read_bytes())
            if match:
                self.port = int(match.group(1))
            elif self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start:\n{self.log()}")
            else:
                time.sleep(0.05)
        while True:
            try:
                if fetch(self.port, "GET", "/healthz", timeout=2)[0] == 200:
                    return
            except TRANSPORT_ERRORS:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn never answered /healthz:\n{self.log()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        self._wait_for_group_gone()

    def stop(self) -> None:
        """Shut down gracefully; SIGKILL whatever is left after STOP_TIMEOUT."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT)
        self._signal(signal.SIGKILL)  # a worker that outlived its master
        self._wait_for_group_gone()

    def _signal(self, number: int) -> None:
        try:
            os.killpg(self.process.pid, number)
        except ProcessLookupError:
            pass

    def _wait_for_group_gone(self) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT
        while self._group_alive() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _group_alive(self) -> bool:
        """True while a process of the group still runs (zombies hold no locks; nobody may reap them)."""
        proc = Path("/proc")
        if not proc.is_dir():
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return False
            return True
        for stat in proc.glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue  # the process ended while we looked
            if int(fields[2]) == self.process.pid and fields[0] != "Z":
                return True
        return False


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


def fetch(port: int, method: str, path: str, payload: Any = None, headers: dict[str, str] | None = None,
            gate: threading.Barrier | None = None, timeout: float = HTTP_TIMEOUT) -> Reply:
    """One HTTP request on its own connection; (status, JSON body). With gate, connect, then wait."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.connect()
        if gate is not None:
            gate.wait()
        body = None if payload is None else json.dumps(payload).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})} if body else dict(headers or {})
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else {}
        except ValueError:
            return response.status, {"unparsed": raw.decode(errors="replace")}
    finally:
        connection.close()


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


# --- An Akismet-style spam check on 127.0.0.1 (test_policy_api.py, test_abuse.py) ---

class Classifier(http.server.BaseHTTPRequestHandler):
    """An Akismet-style comment-check whose answer a test chooses; it keeps what it was asked."""

    answer = b"false"
    delay = 0.0
    status = 200
    seen: list[dict[str, list[str]]] = []

    def do_POST(self) -> None:  # noqa: N802 -- the http.server API
        length = int(self.headers["Content-Length"])
        Classifier.seen.append(urllib.parse.parse_qs(self.rfile.read(length).decode()))
        time.sleep(Classifier.delay)
        self.send_response(Classifier.status)
        self.end_headers()
        self.wfile.write(Classifier.answer)

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def classifier() -> Iterator[str]:
    """The check's URL, with an API key in it as Akismet's has; every answer reset to "not spam"."""
    Classifier.answer, Classifier.delay, Classifier.status = b"false", 0.0, 200
    Classifier.seen.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Classifier)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/1.1/comment-check?key=SECRET-API-KEY-123"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
