"""Moderators' email, end to end against a real SMTP server (aiosmtpd) on 127.0.0.1.

A held comment reaches each moderator who asked, once, escaped, with nothing of the
commenter's address; its one-click link shows a page, acts on POST, and works once. Digests,
"none", no SMTP setting, a server that is down or refuses, and a worker killed mid-send.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select, update

from moderation.notify import smtp
from moderation.notify.worker import Worker
from moderation.store import notices, outbox
from moderation.store.database import session, writing
from moderation.store.models import AuditEntry, Comment, Moderator
from moderation.store.outbox_models import Delivery

from helpers import MAIL_PUBLIC_URL, Inbox, add_moderator, free_port, mail_app, parse, parts, submit

PUBLIC = MAIL_PUBLIC_URL
LINK = re.compile(re.escape(PUBLIC) + r"(/moderate/links/[A-Za-z0-9_.-]+)")


def team_member(app: Flask, name: str, address: str | None, choice: str = "each") -> int:
    """A moderator with an address and a choice of notices; their id."""
    add_moderator(app, name)
    with app.app_context():
        moderator = session().scalars(select(Moderator).where(Moderator.name == name)).one()
        notices.set_notices(moderator.id, address, choice, datetime.now(timezone.utc))
        return moderator.id


def deliveries(app: Flask) -> list[Delivery]:
    """Every delivery, oldest first."""
    with app.app_context():
        return list(session().scalars(select(Delivery).order_by(Delivery.id)))


def test_a_held_comment_mails_its_moderator_once_and_the_link_acts_once(database_url: str,
                                                                        smtp_inbox: tuple[Inbox, int]) -> None:
    handler, port = smtp_inbox
    app = mail_app(database_url, port)
    mod_id = team_member(app, "mod", "mod@news.example")
    team_member(app, "quiet", "quiet@news.example", "none")
    team_member(app, "nomail", None)
    client = app.test_client()
    body = "<script>alert(1)</script> & <b>bold</b>"
    held = submit(client, body=body, name="Ann <i>Reader</i>", email="ann.secret@example.org").json["id"]
    worker = Worker(app)
    assert worker.run_once() == 1
    assert worker.run_once() == 0
    [(recipients, message)] = handler.messages
    assert recipients == ["mod@news.example"] and message["To"] == "mod@news.example"
    assert message["From"] == "Comments <comments@news.example>" and message["Date"]
    [delivery] = deliveries(app)
    assert delivery.status == "delivered" and message["Message-ID"] == f"<{delivery.key}@comments.news.example>"
    assert "Ann <i>Reader</i>" in message["Subject"]
    plain, html = parts(message)
    assert body in plain and "Ann <i>Reader</i>" in plain
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script" not in html and "<i>" not in html
    for text in (plain, html, message.as_string()):
        assert "ann.secret" not in text and "127.0.0.1" not in text
    links = LINK.findall(plain)
    assert len(links) == 3 and set(LINK.findall(html.replace("&amp;", "&"))) == set(links)
    approve = links[0]

    page = client.get(approve)  # a GET (a mail scanner's prefetch) changes nothing
    assert page.status_code == 200
    tree = parse(page)
    assert [b.text for b in tree.iter("button")] == ["Approve"]
    assert "<script>alert(1)</script>" in "".join(tree.find(".//blockquote").itertext())
    assert "<script>alert" not in page.get_data(as_text=True)
    with app.app_context():
        assert session().get(Comment, held).status == "pending"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = client.post(approve, data={"csrf_token": token})
    assert done.status_code == 200 and "approved" in done.get_data(as_text=True)
    with app.app_context():
        assert session().get(Comment, held).status == "approved"
        [entry] = session().scalars(select(AuditEntry).where(AuditEntry.comment_id == held)).all()
        assert (entry.action, entry.via, entry.moderator_id, entry.moderator_name) == ("approved", "mail", mod_id,
                                                                                       "mod")
    again = client.post(approve, data={"csrf_token": token})
    assert again.status_code == 410 and "link_used" in again.get_data(as_text=True)
    assert client.get(links[1]).status_code == 409  # reject: the comment is decided already
    assert worker.run_once() == 0 and len(handler.messages) == 1  # the approval mails nobody


def test_without_smtp_nothing_is_queued_for_email(app: Flask, client: Any) -> None:
    team_member(app, "mod", "mod@news.example")
    submit(client)
    assert Worker(app).run_once() == 0
    assert deliveries(app) == []


def test_a_digest_lists_the_held_comments_once_per_period(database_url: str, smtp_inbox: tuple[Inbox, int]) -> None:
    handler, port = smtp_inbox
    app = mail_app(database_url, port)
    team_member(app, "digester", "d@news.example", "digest")
    client = app.test_client()
    for number in range(3):
        submit(client, body=f"Held number {number}.", name=f"Reader {number}")
    worker = Worker(app)
    worker.run_once()
    worker.run_once()
    [(recipients, message)] = handler.messages
    assert recipients == ["d@news.example"] and message["Subject"] == "3 comments held for moderation"
    plain, _ = parts(message)
    assert all(f"Held number {number}." in plain for number in range(3)) and len(LINK.findall(plain)) == 9
    submit(client, body="One more.")
    worker.run_once()
    assert len(handler.messages) == 1  # not due again before DIGEST_MINUTES
    with app.app_context(), writing() as db:  # the period passes: an hour later than all of this
        earlier = datetime.now(timezone.utc) - timedelta(hours=2)
        db.execute(update(Moderator).values(digest_sent_at=earlier))
        db.execute(update(Comment).where(Comment.body_text != "One more.").values(created_at=earlier - timedelta(hours=1)))
    worker.run_once()
    assert len(handler.messages) == 2
    plain, _ = parts(handler.messages[1][1])
    assert "One more." in plain and "Held number 0." not in plain  # only what came since the last one
    assert handler.messages[1][1]["Subject"] == "1 comment held for moderation"


def test_a_server_that_is_down_leaves_the_delivery_to_retry(database_url: str) -> None:
    port = free_port()
    app = mail_app(database_url, port)
    team_member(app, "mod", "mod@news.example")
    submit(app.test_client())
    assert Worker(app).run_once() == 1
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error and "cannot connect" in delivery.last_error
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with app.app_context(), writing() as db:
            db.execute(update(Delivery).values(next_attempt_at=datetime.now(timezone.utc)))
        assert Worker(app).run_once() == 1
    finally:
        controller.stop()
    assert len(handler.messages) == 1 and deliveries(app)[0].status == "delivered"


def test_a_refused_recipient_is_retried_and_a_removed_moderator_dropped(database_url: str,
                                                                       smtp_inbox: tuple[Inbox, int]) -> None:
    handler, port = smtp_inbox
    app = mail_app(database_url, port)
    team_member(app, "admin", None)
    busy = team_member(app, "busy", "busy@news.example")
    gone = team_member(app, "gone", "gone@news.example")
    submit(app.test_client())
    handler.refuse = "450 Mailbox busy, try later"
    with app.app_context():
        outbox.dispatch([ch.recipients for ch in Worker(app).channels], datetime.now(timezone.utc))
        from moderation.store import moderators
        moderators.delete_moderator(gone, datetime.now(timezone.utc))
    Worker(app).run_once()
    by_target = {d.target: d for d in deliveries(app)}
    assert by_target[f"moderator:{busy}"].status == "pending"
    assert by_target[f"moderator:{busy}"].last_error == "450 Mailbox busy, try later"
    assert by_target[f"moderator:{gone}"].status == "dropped" and handler.messages == []


def test_a_mail_worker_killed_mid_send_sends_again_with_the_same_message_id(database_url: str,
                                                                          smtp_inbox: tuple[Inbox, int]) -> None:
    handler, port = smtp_inbox
    app = mail_app(database_url, port)
    team_member(app, "mod", "mod@news.example")
    submit(app.test_client())
    worker = Worker(app)
    with app.app_context():
        outbox.dispatch([ch.recipients for ch in worker.channels], datetime.now(timezone.utc))
        [(claimed, _)] = outbox.claim(datetime.now(timezone.utc), 10)  # …and the worker dies here
    assert worker.run_once() == 0
    with app.app_context(), writing() as db:
        db.execute(update(Delivery).values(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert worker.run_once() == 1
    [(_, message)] = handler.messages
    assert message["Message-ID"] == f"<{claimed.key}@comments.news.example>"


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example:587", smtp.Server(False, "mail.example", 587, None, None)),
    ("smtp://mail.example", smtp.Server(False, "mail.example", 587, None, None)),
    ("smtps://u%40x:p%3Aw%2F@mail.example:465", smtp.Server(True, "mail.example", 465, "u@x", "p:w/")),
    ("smtps://mail.example", smtp.Server(True, "mail.example", 465, None, None)),
])
def test_the_smtp_url_is_read_with_its_user_and_password_decoded(url: str, expected: smtp.Server) -> None:
    assert smtp.server(url) == expected


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                                ("10.0.0.1", False), ("mail.example", False)])
def test_starttls_is_optional_only_on_loopback(host: str, loopback: bool) -> None:
    assert smtp.Server(False, host, 25, None, None).loopback is loopback


def test_names_outside_ascii_arrive_intact(database_url: str, smtp_inbox: tuple[Inbox, int]) -> None:
    handler, port = smtp_inbox
    app = mail_app(database_url, port, MAIL_FROM="Kommentare Zoë <comments@news.example>")
    team_member(app, "mod", "mod@news.example")
    name = "Jörg Ünlü 李 " * 7 + "Ørsted"  # long enough that the encoded subject is folded
    submit(app.test_client(), name=name, body="Grüße — ça va? 🙂")
    Worker(app).run_once()
    [(_, message)] = handler.messages
    assert message["Subject"] == f"Held for moderation: {name} on 12345"
    assert message["From"] == "Kommentare Zoë <comments@news.example>"
    plain, html = parts(message)
    assert "Grüße — ça va? 🙂" in plain and "Grüße — ça va? 🙂" in html and name in plain
