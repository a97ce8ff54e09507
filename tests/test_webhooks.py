"""Webhooks end to end: a real HTTP receiver on 127.0.0.1 gets each event, signed, and verifies it.

Every signature is checked with the `standardwebhooks` library, as a receiver would; the
payload never holds an email or IP address; a retry carries the same webhook-id; 410 drops,
a redirect is not followed, and a private address is refused when added and when delivered
unless MODERATION_WEBHOOKS_ALLOW_PRIVATE allows it. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook as Verifier

from moderation.core.webhooks import refusal
from moderation.notify.channel import channels
from moderation.notify.worker import Worker
from moderation.store import outbox
from moderation.store.database import session, writing
from moderation.store.models import AuditEntry
from moderation.store.outbox_models import Delivery, Webhook

from helpers import add_moderator, csrf_from, log_in, make_app, moderate, submit

EMAIL = "ann.private@example.org"


@dataclass
class Inbox:
    """What the receiver was sent (path, headers, body), and the statuses it answers in turn (then 200)."""

    url: str = ""
    got: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


def handler(inbox: Inbox) -> type[http.server.BaseHTTPRequestHandler]:
    """A request handler that records into inbox and answers its next status."""

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 -- the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            inbox.got.append((self.path, dict(self.headers.items()), body))
            status = inbox.answers.pop(0) if inbox.answers else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", inbox.url.replace("/hook", "/elsewhere"))
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            """Keep the test output quiet."""

    return Receiver


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real HTTP receiver on 127.0.0.1 (a free port) and what it was sent."""
    box = Inbox()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(box))
    box.url = f"http://127.0.0.1:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for host name (not for its address), and its key: (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    moment = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(moment - timedelta(minutes=5))
            .not_valid_after(moment + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def tls_inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """The receiver over HTTPS at https://localhost:PORT/hook, its certificate the only one trusted."""
    cert_file, key_file = certificate(tmp_path, "localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # what ssl.create_default_context() trusts
    box = Inbox()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(box))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    box.url = f"https://localhost:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def hooked(database_url: str) -> Flask:
    """An app that may send webhooks to 127.0.0.1 (the receiver)."""
    return make_app(database_url, WEBHOOKS_ALLOW_PRIVATE=True)


def add(app: Flask, url: str, *options: str) -> tuple[int, str]:
    """`webhook add URL …`: the new webhook's id and secret."""
    result = app.test_cli_runner().invoke(args=["webhook", "add", url, *options])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    return int(lines[0].split()[1]), lines[-1]


def verified(inbox: Inbox, secret: str) -> list[dict[str, Any]]:
    """Every payload received, each signature verified by the standardwebhooks library."""
    return [Verifier(secret).verify(body, headers) for _, headers, body in inbox.got]


def deliveries(app: Flask) -> list[Delivery]:
    """Every delivery, oldest first."""
    with app.app_context():
        return list(session().scalars(select(Delivery).order_by(Delivery.id)))


def due_now(app: Flask) -> None:
    """Make every pending delivery due at once (as if its backoff had passed)."""
    with app.app_context(), writing() as db:
        db.execute(update(Delivery).values(next_attempt_at=datetime.now(timezone.utc) - timedelta(seconds=1)))


# --- Delivery ---------------------------------------------------------------------------------

def test_a_new_comment_arrives_signed_with_its_state(hooked: Flask, inbox: Inbox) -> None:
    _, secret = add(hooked, inbox.url)
    assert secret.startswith("whsec_") and len(secret) >= len("whsec_") + 32
    comment_id = submit(hooked.test_client(), email=EMAIL, name="Ann").json["id"]
    assert Worker(hooked).run_once() == 1
    [payload] = verified(inbox, secret)
    assert payload["type"] == "comment.created"
    assert payload["data"]["status"] == "pending" and payload["data"]["article_id"] == "12345"
    assert payload["data"]["comment"]["id"] == comment_id and payload["data"]["comment"]["author"]["name"] == "Ann"
    path, headers, body = inbox.got[0]
    [delivery] = deliveries(hooked)
    assert path == "/hook" and headers["webhook-id"] == delivery.key and delivery.status == "delivered"
    assert headers["Content-Type"] == "application/json" and "webhooks" in headers["User-Agent"]
    assert body == json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()  # compact UTF-8


def test_every_moderator_action_sends_its_event_and_nothing_private(hooked: Flask, inbox: Inbox) -> None:
    _, secret = add(hooked, inbox.url)
    token = add_moderator(hooked)
    client = hooked.test_client()
    ids = [submit(client, body=f"Comment {n} é ✓.", email=EMAIL).json["id"] for n in range(4)]
    for comment_id, action in zip(ids, ("approve", "reject", "spam", "delete")):
        assert moderate(client, token, comment_id, action).status_code == 200
    assert log_in(client).status_code == 303
    edited = client.post(f"/moderate/comments/{ids[0]}/edit",
                         data={"body": "Edited text.", "csrf_token": csrf_from(client, "/moderate/")})
    assert edited.status_code == 303
    Worker(hooked).run_once()
    got = [(p["type"], p["data"]["comment"]["id"], p["data"]["status"]) for p in verified(inbox, secret)]
    assert got == [*(("comment.created", i, "pending") for i in ids), ("comment.approved", ids[0], "approved"),
                   ("comment.rejected", ids[1], "rejected"), ("comment.spam", ids[2], "spam"),
                   ("comment.deleted", ids[3], "deleted"), ("comment.edited", ids[0], "approved")]
    for _, headers, body in inbox.got:
        assert EMAIL.encode() not in body and b"127.0.0.1" not in body and b'"ip"' not in body
        assert EMAIL not in json.dumps(headers)


def test_only_the_events_asked_for_are_sent(hooked: Flask, inbox: Inbox) -> None:
    _, secret = add(hooked, inbox.url, "--events", "comment.approved")
    token = add_moderator(hooked)
    client = hooked.test_client()
    comment_id = submit(client).json["id"]
    moderate(client, token, comment_id, "approve")
    Worker(hooked).run_once()
    assert [p["type"] for p in verified(inbox, secret)] == ["comment.approved"]


def test_a_failed_delivery_is_retried_with_the_same_webhook_id(hooked: Flask, inbox: Inbox) -> None:
    _, secret = add(hooked, inbox.url)
    inbox.answers = [500]
    submit(hooked.test_client())
    worker = Worker(hooked)
    worker.run_once()
    [delivery] = deliveries(hooked)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "HTTP 500")
    due_now(hooked)
    assert worker.run_once() == 1
    first, second = (headers for _, headers, _ in inbox.got)
    assert first["webhook-id"] == second["webhook-id"] == delivery.key
    assert len(verified(inbox, secret)) == 2 and deliveries(hooked)[0].status == "delivered"


@pytest.mark.parametrize(("answer", "status", "error"), [
    (410, "dropped", "410 Gone"), (307, "pending", "redirect, not followed"), (302, "pending", "redirect")])
def test_gone_drops_and_a_redirect_is_not_followed(hooked: Flask, inbox: Inbox, answer: int, status: str,
                                                   error: str) -> None:
    add(hooked, inbox.url)
    inbox.answers = [answer]
    submit(hooked.test_client())
    Worker(hooked).run_once()
    [delivery] = deliveries(hooked)
    assert delivery.status == status and error in (delivery.last_error or "")
    assert [path for path, _, _ in inbox.got] == ["/hook"]  # never /elsewhere


def test_a_removed_webhook_gets_nothing_more(hooked: Flask, inbox: Inbox) -> None:
    webhook_id, _ = add(hooked, inbox.url)
    submit(hooked.test_client())
    with hooked.app_context():  # planned for the webhook, then it is removed before the send
        outbox.dispatch([channel.recipients for channel in channels(hooked)], datetime.now(timezone.utc))
    assert hooked.test_cli_runner().invoke(args=["webhook", "remove", str(webhook_id)]).exit_code == 0
    Worker(hooked).run_once()
    assert inbox.got == [] and [d.status for d in deliveries(hooked)] == ["dropped"]


def test_a_private_address_is_refused_at_delivery_time_too(hooked: Flask, inbox: Inbox,
                                                           database_url: str) -> None:
    add(hooked, inbox.url)  # allowed when added…
    submit(hooked.test_client())
    strict = make_app(database_url)  # …but this worker's app does not allow private addresses
    Worker(strict).run_once()
    [delivery] = deliveries(strict)
    assert inbox.got == [] and delivery.status == "dropped"
    assert "127.0.0.1" in (delivery.last_error or "") and "loopback address" in (delivery.last_error or "")


def test_an_unreachable_endpoint_is_retried(hooked: Flask, inbox: Inbox) -> None:
    add(hooked, "http://127.0.0.1:9/hook")  # the discard port: nobody listens
    submit(hooked.test_client())
    Worker(hooked).run_once()
    [delivery] = deliveries(hooked)
    assert delivery.status == "pending" and "Connection" in (delivery.last_error or "")


def test_https_checks_the_certificate_for_the_url_host(hooked: Flask, tls_inbox: Inbox) -> None:
    _, secret = add(hooked, tls_inbox.url)  # localhost: connected by its checked address, verified by name
    submit(hooked.test_client())
    Worker(hooked).run_once()
    assert [p["type"] for p in verified(tls_inbox, secret)] == ["comment.created"]
    assert tls_inbox.got[0][1]["Host"] == tls_inbox.url.split("/")[2]


def test_https_to_a_name_the_certificate_does_not_cover_fails(hooked: Flask, tls_inbox: Inbox) -> None:
    add(hooked, tls_inbox.url.replace("localhost", "127.0.0.1"))  # the same server, a name not in its certificate
    submit(hooked.test_client())
    Worker(hooked).run_once()
    [delivery] = deliveries(hooked)
    assert tls_inbox.got == [] and delivery.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in (
        delivery.last_error or "")


# --- The command line ---------------------------------------------------------------------------

def test_add_list_remove_are_audited_and_never_show_the_secret(hooked: Flask, inbox: Inbox) -> None:
    webhook_id, secret = add(hooked, inbox.url, "--events", "comment.spam,comment.created")
    runner = hooked.test_cli_runner()
    listed = runner.invoke(args=["webhook", "list"])
    assert listed.exit_code == 0 and inbox.url in listed.output and "comment.created,comment.spam" in listed.output
    assert secret not in listed.output and secret[6:] not in listed.output
    with hooked.app_context():
        stored = session().get(Webhook, webhook_id)
        assert stored is not None and secret.encode() not in stored.secret_sealed
    removed = runner.invoke(args=["webhook", "remove", str(webhook_id)])
    assert removed.exit_code == 0 and "removed" in removed.output
    assert "no webhooks" in runner.invoke(args=["webhook", "list"]).output
    with hooked.app_context():
        audit = [(e.action, e.moderator_name) for e in session().scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert audit == [("webhook_added", "command line"), ("webhook_removed", "command line")]


@pytest.mark.parametrize(("args", "message"), [
    (["add", "ftp://example.org/hook"], "http:// or https://"),
    (["add", "example.org/hook"], "http:// or https://"),
    (["add", "https://example.org/" + "a" * 2000], "at most 2000"),
    (["add", "https://example.org/hook", "--events", "comment.created,comment.exploded"], "comment.exploded"),
    (["add", "https://user:pw@example.org/hook"], "user name"),
    (["add", "https://no-such-host.invalid/hook"], "does not resolve"),
    (["remove", "99"], "no webhook 99"),
    (["remove", "x"], "not a valid integer"),
])
def test_bad_input_exits_2_and_says_why(hooked: Flask, args: list[str], message: str) -> None:
    result = hooked.test_cli_runner().invoke(args=["webhook", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook",
                                 "http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data",
                                 "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/hook", "http://224.0.0.1/"])
def test_a_private_address_is_refused_when_added(app: Flask, url: str) -> None:
    result = app.test_cli_runner().invoke(args=["webhook", "add", url])
    assert result.exit_code == 2 and "resolves to" in result.output and "address" in result.output, result.output
    assert "MODERATION_WEBHOOKS_ALLOW_PRIVATE" in result.output


@pytest.mark.parametrize(("address", "why"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.1", "private"), ("192.168.1.1", "private"),
    ("172.16.0.1", "private"), ("fd00::1", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"), ("240.0.0.1", "reserved"),
    ("100.64.0.1", "non-public"), ("::ffff:10.0.0.1", "private"), ("2002:7f00:1::", "loopback"),
    ("64:ff9b::a00:1", "private"), ("93.184.215.14", None), ("2606:4700::1111", None)])
def test_only_public_addresses_may_receive(address: str, why: str | None) -> None:
    found = refusal(ipaddress.ip_address(address))
    assert found == (f"a {why} address" if why else None)
