"""Every shared test helper that is not a fixture: apps, submissions, moderators, pages, servers.

Test modules import these from here, never from conftest.py or from one another (a test in
test_test_suite.py keeps that true); conftest.py holds only fixtures and hooks.
"""

from __future__ import annotations

import email
import email.policy
import http.client
import http.server
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import Any

import html5lib
import pytest
from flask import Flask
from sqlalchemy import delete
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from moderation import create_app
from moderation.core.credentials import ADMIN, new_token, token_hash
from moderation.shared import of
from moderation.store import moderators
from moderation.store.database import create_schema, writing
from moderation.store.models import AuditEntry

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TEST_SECRET = "test-secret-key-not-for-production"
SETTINGS_PREFIX = "MODERATION_"
# The suite's own variables (which database, which Redis, strict mode): never a setting of an app.
TEST_PREFIX = "MODERATION_TEST_"


def setting_variables(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """The names in environ that would change an app's settings (MODERATION_*, not MODERATION_TEST_*)."""
    return [name for name in environ if name.startswith(SETTINGS_PREFIX) and not name.startswith(TEST_PREFIX)]


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any MODERATION_* variable, plus MODERATION_<name> for settings."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(SETTINGS_PREFIX)}
    env.update({f"{SETTINGS_PREFIX}{name}": value for name, value in settings.items()})
    return env


# --- Apps and submissions ----------------------------------------------------------------------

_APPS: list[Flask] = []


def make_app(database_url: str, **overrides: Any) -> Flask:
    """An app on database_url with the schema in place.

    Rate limits and the minimum form time are off unless overridden: tests type faster
    than people and post more often. The scheduled purge is off too (a test of it turns it on).
    """
    config = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, "RATELIMIT": "0",
              "MIN_FORM_SECONDS": 0, "RATELIMIT_STORAGE": "", "PURGE_EVERY_MINUTES": 0, "TESTING": True,
              **overrides}
    app = create_app(config)
    create_schema(of(app).engine)
    _APPS.append(app)
    return app


def close_apps() -> None:
    """Close the connection pools of every app make_app made since the last call."""
    while _APPS:
        shared = of(_APPS.pop())
        shared.housekeeper.stop()
        shared.engine.dispose()


def comment(**fields: Any) -> dict[str, Any]:
    """A valid submission, with fields overridden."""
    return {"name": "Ann Reader", "email": "ann@example.org", "body": "A thoughtful comment.", **fields}


def submit(client: FlaskClient, article: str = "12345", **fields: Any) -> TestResponse:
    """POST a submission to an article."""
    return client.post(f"/api/v1/articles/{article}/comments", json=comment(**fields))


def moderate(client: FlaskClient, token: str, comment_id: int, action: str) -> TestResponse:
    """Apply a moderation action through the token API."""
    return client.post(f"/api/v1/moderation/comments/{comment_id}", json={"action": action},
                       headers={"Authorization": f"Bearer {token}"})


def approved(client: FlaskClient, token: str, article: str = "12345", **fields: Any) -> int:
    """Submit and approve a comment; return its id."""
    response = submit(client, article, **fields)
    assert response.status_code == 202, response.json
    assert moderate(client, token, response.json["id"], "approve").status_code == 200
    return response.json["id"]


# --- Moderators ----------------------------------------------------------------------------------

MODERATOR_PASSWORD = "correct horse"
# A deliberately cheap hash keeps the suite fast; log-in checks any stored method the same way.
CHEAP_HASH = "pbkdf2:sha256:1"


def add_moderator(app: Flask, name: str = "mod", password: str = MODERATOR_PASSWORD, role: str = ADMIN) -> str:
    """Create a moderator (or reset their password and role) and return a new API token of theirs.

    Set-up, as if done before the test: its audit entries are taken out again, so a test's
    audit log holds only what the test itself did (tests/test_team.py audits the team's changes).
    """
    with app.app_context():
        moment = datetime.now(timezone.utc)
        moderator, _ = moderators.save_moderator(name, generate_password_hash(password, CHEAP_HASH), moment, role)
        token = new_token()
        moderators.add_token(moderator, token_hash(token), moment)
        with writing() as db:
            db.execute(delete(AuditEntry).where(AuditEntry.created_at == moment,
                                                AuditEntry.action.in_(("moderator_created", "moderator_changed",
                                                                       "token_created"))))
    return token


def csrf_from(client: FlaskClient, path: str = "/moderate/login", **kwargs: Any) -> str:
    """The CSRF token in the first form of a moderator page."""
    page = client.get(path, **kwargs)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def log_in(client: FlaskClient, name: str = "mod", password: str = MODERATOR_PASSWORD,
           **kwargs: Any) -> TestResponse:
    """Post the log-in form as a browser would, CSRF token included."""
    data = {"name": name, "password": password, "csrf_token": csrf_from(client, **kwargs)}
    return client.post("/moderate/login", data=data, **kwargs)


def logged_in(app: Flask, name: str = "mod", password: str = MODERATOR_PASSWORD) -> FlaskClient:
    """A new test client logged in to the moderators' pages as name."""
    client = app.test_client()
    response = log_in(client, name, password)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


# --- Moderator pages: parsed, and checked to run nothing ---------------------------------------

HTML = "text/html; charset=utf-8"
PAYLOADS_FILE = DATA / "xss_payloads.txt"
OWN_SCRIPT = re.compile(r"/static/moderate\.js\?v=[0-9a-f]+")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "cite", "data", "poster", "background", "xlink:href")
FOREIGN_TAGS = {"iframe", "object", "embed", "svg", "math", "base", "frame", "frameset", "applet", "img", "video",
                "audio", "source", "style", "marquee", "isindex", "keygen", "template", "noscript"}


def parse(response: Any) -> Any:
    """A page as an element tree, checked to be UTF-8 HTML."""
    assert response.content_type == HTML, response.content_type
    return html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)


def text_of(element: Any) -> str:
    """An element's text as a reader sees it (whitespace collapsed)."""
    return " ".join("".join(element.itertext()).split())


def payloads() -> list[str]:
    """The XSS corpus: entries separated by blank lines, `#` comments, backslash escapes."""
    entries, lines = [], []
    for line in PAYLOADS_FILE.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#"):
            continue
        if line.strip():
            lines.append(line)
        elif lines:
            raw = "\n".join(lines)
            decoded = re.sub(r"\\([ntr\\])", lambda m: {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}[m.group(1)], raw)
            entries.append(decoded)
            lines = []
    return entries


def assert_nothing_runs(response: Any) -> Any:
    """The page holds no script but ours, no handler attribute, no foreign tag, no script URL."""
    tree = parse(response)
    for element in tree.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        assert tag not in FOREIGN_TAGS, tag
        if tag == "script":
            assert OWN_SCRIPT.fullmatch(element.get("src", "")) and not (element.text or "").strip()
        if tag == "link":
            assert element.get("rel") in ("stylesheet", "icon") and element.get("href", "").startswith("/static/")
        if tag == "meta":
            assert set(element.attrib) <= {"charset", "name", "content"} and "http-equiv" not in element.attrib
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (tag, name, value)
            assert name.lower() not in ("style", "srcdoc", "formtarget"), (tag, name)
            if name.lower() in URL_ATTRIBUTES:
                scheme = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (tag, name, value)
    return tree


# --- Browsers: Debian's Chromium, and an app served to it from a thread ------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = str(ROOT / "test-artifacts")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


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


def open_page(browser: Any, viewport: dict[str, int], javascript: bool = True,
              bypass_csp: bool = False) -> tuple[Any, Any, list[str]]:
    """A fresh context and page, collecting console errors (a CSP violation is one).

    bypass_csp is for accessibility checks only (axe_violations injects an inline script);
    every other test keeps the pages' own Content-Security-Policy.
    """
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript, locale="en-GB",
                                  bypass_csp=bypass_csp)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return context, page, problems


def log_in_page(page: Any, url: str) -> None:
    """Log in through the form, as a moderator does."""
    page.goto(url + "/moderate/")
    assert "/moderate/login" in page.url
    page.fill("#name", "mod")
    page.fill("#password", MODERATOR_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/moderate/")


AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
# axe's default rule set: WCAG 2 A and AA, and its best practices (landmarks, headings, regions).
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.map(node => node.target.join(" "))}));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """What axe-core finds wrong with the page as it is now: each rule broken, its impact and where.

    The page's context must be opened with bypass_csp=True: axe goes in as an inline script,
    which the moderators' pages (script-src 'self') rightly refuse. axe-core comes from npm
    (tests/browser/package.json, installed by `make test`).
    """
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/browser (make test does it)")
    if page.evaluate("typeof window.axe") == "undefined":
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return list(page.evaluate(AXE_RUN))


# --- gunicorn for tests that need real processes and threads (durability, races) ---------------

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
        # Only the settings given here: none inherited from the shell that runs the tests.
        env = clean_environment(**{"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, "RATELIMIT": "0",
                                   **(settings or {})})
        env["PYTHONUNBUFFERED"] = "1"
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


# --- An Akismet-style spam check on 127.0.0.1 (test_policy_api.py, test_abuse.py) ---------------

class Classifier(http.server.BaseHTTPRequestHandler):
    """An Akismet-style comment-check whose answer a test chooses; it keeps what it was asked."""

    answer = b"false"
    delay = 0.0
    status = 200
    seen: list[dict[str, list[str]]] = []
    paths: list[str] = []  # the path of each request: comment-check, submit-spam or submit-ham

    def do_POST(self) -> None:  # noqa: N802 -- the http.server API
        """Answer a comment-check with the chosen status and answer, after the chosen delay."""
        length = int(self.headers["Content-Length"])
        Classifier.seen.append(urllib.parse.parse_qs(self.rfile.read(length).decode()))
        Classifier.paths.append(self.path)
        time.sleep(Classifier.delay)
        self.send_response(Classifier.status)
        self.end_headers()
        self.wfile.write(Classifier.answer)

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


# --- The outbox worker as a real process (test_worker_kill.py) ----------------------------------

WORKER_STARTED = b"Outbox worker started"


class OutboxWorker(Gunicorn):
    """`flask --app app worker` in its own process group, its log kept in a file.

    Only the start differs from gunicorn's: kill (SIGKILL to the whole group, as a crash),
    stop (SIGTERM, which lets the worker finish its batch) and log are the same.
    """

    def __init__(self, database_url: str, log_path: Path, settings: dict[str, str] | None = None) -> None:
        # Deliberately not Gunicorn.__init__ (that one starts gunicorn); the same environment rules.
        env = clean_environment(**{"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, **(settings or {})})
        env["PYTHONUNBUFFERED"] = "1"
        command = [sys.executable, "-m", "flask", "--app", "app", "worker"]  # what .venv/bin/flask runs
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.port = 0  # a worker listens on nothing

    def wait_until_ready(self) -> None:
        """Wait for the worker to say it has started (its first round follows at once)."""
        deadline = time.monotonic() + START_TIMEOUT
        while WORKER_STARTED not in self.log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the outbox worker did not start:\n{self.log()}")
            time.sleep(0.05)


# --- Mail: a real SMTP server in-process (aiosmtpd) ----------------------------------------------

MAIL_PUBLIC_URL = "https://comments.news.example"


class Inbox:
    """An SMTP handler that keeps every message; `refuse` answers RCPT with that reply instead."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          options: list[str]) -> str:
        """Accept the recipient, or refuse as the test says."""
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message, parsed."""
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (just now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mail_app(database_url: str, port: int, **overrides: Any) -> Flask:
    """An app that sends mail to 127.0.0.1:port, with links to MAIL_PUBLIC_URL."""
    settings = {"SMTP_URL": f"smtp://127.0.0.1:{port}", "MAIL_FROM": "Comments <comments@news.example>",
                "PUBLIC_URL": MAIL_PUBLIC_URL, **overrides}
    return make_app(database_url, **settings)


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of a message."""
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


# --- Import samples: the writers in tests/data/make_import_samples.py -----------------------------

def sample_writers() -> ModuleType:
    """tests/data/make_import_samples.py (a script of its own, so loaded by its path), loaded once."""
    name = "make_import_samples"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, DATA / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before it runs: its dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


def wipe_database(url: str) -> None:
    """Empty every table of the PostgreSQL database at url, its id sequences reset (as a fresh one)."""
    from sqlalchemy import create_engine, text

    from moderation.store.models import Base

    engine = create_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


class HostSite:
    """A site owner's static pages on 127.0.0.1, served from a thread (path -> HTML), so the embed runs
    cross-origin as it does on a real blog."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        pages: dict[str, str] = {}
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "not found").encode())

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def post(self, service: str, article: str, attributes: str = "", head: str = "", inside: str = "",
             lang: str = "en") -> str:
        """Publish a post with the embed's two lines (more `data-` attributes, head or target content); its URL."""
        path = f"/post-{len(self.pages)}.html"
        self.pages[path] = f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>A post</title>
            {head}</head><body><main><h1>A post</h1><p class="host">The host page's own paragraph.</p>
            <div id="comments">{inside}</div></main>
            <script src="{service}/embed.js" data-article="{article}" {attributes} async></script></body></html>"""
        return self.url + path

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
