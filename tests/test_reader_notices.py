"""Readers' notices, end to end against a real SMTP server (aiosmtpd) on 127.0.0.1.

A reader ticks the boxes, confirms the address from the one mail it gets first, hears that
the comment is published and, only once a reply is approved, of the reply; the one-click
unsubscribe stops them. Nothing goes to an address that did not confirm, a bot's comment
mails nobody, a day allows one confirmation, and no answer says who has confirmed.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from moderation.core import reader_links
from moderation.notify.worker import Worker
from moderation.store import outbox
from moderation.store.database import session, writing
from moderation.store.reader_models import ReaderConsent, Subscription

from helpers import TEST_SECRET, Inbox, add_moderator, mail_app, moderate, parse, parts, submit

ARTICLE_URL = "https://news.example/2026/12/story"
ANN, BOB = "ann.reader@example.org", "bob.replier@example.org"
CONFIRM = re.compile(r"https://comments\.news\.example(/notices/confirm/[A-Za-z0-9_.-]+)")
STOP = re.compile(r"<https://comments\.news\.example(/notices/stop/[A-Za-z0-9_.-]+)>")


def to(handler: Inbox, address: str) -> list[EmailMessage]:
    """The messages the inbox has had for one address (its local part in any case)."""
    return [message for recipients, message in handler.messages if [r.casefold() for r in recipients] == [address]]


def confirm_link(message: EmailMessage) -> str:
    """The confirmation page's path in a confirmation mail (the same in both parts)."""
    plain, html = parts(message)
    [link] = CONFIRM.findall(plain)
    assert CONFIRM.findall(html) == [link]
    return link


def stop_link(message: EmailMessage) -> str:
    """The one-click unsubscribe address of a reader's mail (RFC 8058)."""
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [link] = STOP.findall(message["List-Unsubscribe"])
    return link


def opted_in(client: Any, **fields: Any) -> int:
    """A submission that ticks both boxes; its id."""
    response = submit(client, notify_replies=True, notify_approval=True, article_url=ARTICLE_URL,
                      article_title="The story", **fields)
    assert response.status_code == 202, response.json
    return int(response.json["id"])


def consents(app: Flask) -> list[ReaderConsent]:
    """Every consent row."""
    with app.app_context():
        return list(session().scalars(select(ReaderConsent).order_by(ReaderConsent.id)))


@pytest.fixture
def mailing(database_url: str, smtp_inbox: tuple[Inbox, int]) -> tuple[Flask, Inbox, str]:
    """An app that sends mail to the inbox, with a moderator and their token."""
    handler, port = smtp_inbox
    app = mail_app(database_url, port, ALLOWED_ORIGINS="https://news.example")
    return app, handler, add_moderator(app)


def test_a_reader_confirms_hears_of_approval_then_of_an_approved_reply_then_stops(
        mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, token = mailing
    client, worker = app.test_client(), Worker(app)
    ann = opted_in(client, email=ANN, name="Ann")
    worker.run_once()
    [asking] = to(handler, ANN)
    assert asking["Subject"] == "Please confirm: emails about your comment on The story"
    assert asking["Auto-Submitted"] == "auto-generated" and asking["Message-ID"]
    link = confirm_link(asking)
    page = client.get(link)  # a mail scanner's prefetch confirms nothing
    assert page.status_code == 200 and [b.text for b in parse(page).iter("button")] == ["Confirm my address"]
    assert page.headers["Referrer-Policy"] == "no-referrer" and consents(app)[0].confirmed_at is None
    assert client.post(link).status_code == 200 and consents(app)[0].confirmed_at is not None

    assert moderate(client, token, ann, "approve").status_code == 200
    worker.run_once()
    [_, published] = to(handler, ANN)
    assert published["Subject"] == "Your comment on The story is published"
    plain, html = parts(published)
    assert f"{ARTICLE_URL}#comment-{ann}" in plain and f'href="{ARTICLE_URL}#comment-{ann}"' in html

    reply = submit(client, email=BOB, name="Bob <b>B</b>", body="<script>x()</script> I disagree.",
                   parent_id=ann).json["id"]
    worker.run_once()
    assert len(to(handler, ANN)) == 2  # a pending reply tells nobody
    assert moderate(client, token, reply, "approve").status_code == 200
    worker.run_once()
    [*_, replied] = to(handler, ANN)
    assert replied["Subject"] == "Bob <b>B</b> replied to your comment on The story"
    plain, html = parts(replied)
    assert "<script>x()</script> I disagree." in plain and f"#comment-{reply}" in plain
    assert "&lt;script&gt;x()&lt;/script&gt;" in html and "<script>" not in html and "<b>B</b>" not in html
    for message in to(handler, ANN):
        assert BOB not in message.as_string() and "127.0.0.1" not in message.as_string()
    assert to(handler, BOB) == []  # Bob asked for nothing

    one_click = client.post(stop_link(replied), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200  # no log-in, no cookie, no form token: RFC 8058
    again = submit(client, email=BOB, body="A second reply.", parent_id=ann).json["id"]
    moderate(client, token, again, "approve")
    worker.run_once()
    assert len(to(handler, ANN)) == 3  # nothing since the unsubscribe


def test_nothing_but_the_confirmation_goes_to_an_address_that_did_not_confirm(
        mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, token = mailing
    client, worker = app.test_client(), Worker(app)
    ann = opted_in(client, email=ANN)
    worker.run_once()
    moderate(client, token, ann, "approve")
    reply = submit(client, email=BOB, parent_id=ann, body="A reply.").json["id"]
    moderate(client, token, reply, "approve")
    worker.run_once()
    [only] = to(handler, ANN)
    assert CONFIRM.search(parts(only)[0])


def test_one_confirmation_a_day_however_many_comments_ask(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, _ = mailing
    client, worker = app.test_client(), Worker(app)
    for number in range(3):
        opted_in(client, email=ANN, body=f"Comment {number}.")
    worker.run_once()
    assert len(to(handler, ANN)) == 1
    with app.app_context(), writing() as db:  # a day passes
        db.execute(update(ReaderConsent).values(asked_at=datetime.now(timezone.utc) - timedelta(days=1, seconds=1)))
    opted_in(client, email=ANN, body="The next day.")
    worker.run_once()
    assert len(to(handler, ANN)) == 2 and len(consents(app)) == 1


def test_a_confirmed_address_is_remembered(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, token = mailing
    client, worker = app.test_client(), Worker(app)
    opted_in(client, email=ANN)
    worker.run_once()
    client.post(confirm_link(to(handler, ANN)[0]))
    second = opted_in(client, email=ANN.upper().replace("EXAMPLE.ORG", "example.org"), body="Another one.")
    worker.run_once()
    assert len(to(handler, ANN)) == 1  # no second confirmation for the same address
    moderate(client, token, second, "approve")
    worker.run_once()
    assert to(handler, ANN)[-1]["Subject"].endswith("is published")


def test_a_bots_comment_mails_nobody(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, _ = mailing
    opted_in(app.test_client(), email=ANN, hp="https://cheap-pills.example")
    Worker(app).run_once()
    assert to(handler, ANN) == [] and consents(app) == []


def test_stop_everything_from_the_confirmation_stops_even_confirmations(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, _ = mailing
    client, worker = app.test_client(), Worker(app)
    opted_in(client, email=ANN)
    worker.run_once()
    link = stop_link(to(handler, ANN)[0])
    page = parse(client.get(link))
    assert [b.text for b in page.iter("button")] == ["Stop all emails"]
    assert client.post(link, data={"choice": "all"}).status_code == 200
    with app.app_context():
        assert session().scalar(select(func.count()).select_from(Subscription)) == 0  # forgotten, not kept
    with app.app_context(), writing() as db:
        db.execute(update(ReaderConsent).values(asked_at=datetime.now(timezone.utc) - timedelta(days=2)))
    opted_in(client, email=ANN, body="Later.")
    worker.run_once()
    assert len(to(handler, ANN)) == 1
    assert "Start again" in [b.text for b in parse(client.get(link)).iter("button")]


def test_stopping_one_thread_keeps_the_others(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, token = mailing
    client, worker = app.test_client(), Worker(app)
    first, second = opted_in(client, email=ANN, body="First."), opted_in(client, email=ANN, body="Second.")
    worker.run_once()
    client.post(confirm_link(to(handler, ANN)[0]))
    moderate(client, token, first, "approve")
    worker.run_once()
    thread = stop_link(to(handler, ANN)[-1])
    page = client.get(thread)
    assert [b.text for b in parse(page).iter("button")] == ["Stop emails about this comment", "Stop all emails"]
    assert "your comment on <strong>The story</strong>" in page.get_data(as_text=True)
    assert ANN not in page.get_data(as_text=True)  # the page never shows the address
    assert client.post(thread, data={"choice": "thread"}).status_code == 200
    moderate(client, token, second, "approve")
    for parent in (first, second):
        moderate(client, token, submit(client, email=BOB, name="Bob", parent_id=parent, body=f"Re {parent}").json["id"],
                 "approve")
    worker.run_once()
    subjects = [message["Subject"] for message in to(handler, ANN)]
    assert subjects[2:] == ["Your comment on The story is published", "Bob replied to your comment on The story"]
    assert f"Re {second}" in parts(to(handler, ANN)[-1])[0]  # the thread not stopped


def test_a_reply_by_the_author_and_a_second_approval_tell_nobody(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, token = mailing
    client, worker = app.test_client(), Worker(app)
    ann = opted_in(client, email=ANN)
    worker.run_once()
    client.post(confirm_link(to(handler, ANN)[0]))
    moderate(client, token, ann, "approve")
    worker.run_once()
    own = submit(client, email=ANN, parent_id=ann, body="Replying to myself.").json["id"]
    moderate(client, token, own, "approve")
    moderate(client, token, ann, "reject")
    moderate(client, token, ann, "approve")
    worker.run_once()
    assert len(to(handler, ANN)) == 2  # the confirmation and the one "published"


def test_no_answer_says_whether_an_address_has_confirmed(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, _ = mailing
    client, worker = app.test_client(), Worker(app)
    opted_in(client, email=ANN)
    worker.run_once()
    client.post(confirm_link(to(handler, ANN)[0]))
    answers = [submit(client, email=address, body=f"Same words from {number}.", notify_replies=True)
               for number, address in enumerate((ANN, "nobody.yet@example.org"))]
    assert [answer.status_code for answer in answers] == [202, 202]
    assert [sorted(answer.json) for answer in answers] == [["avatar", "commenter_key", "id", "message", "status"]] * 2
    assert answers[0].json["message"] == answers[1].json["message"]


@pytest.mark.parametrize("value", ["yes", 1, [], {"a": 1}])
def test_a_flag_that_is_not_true_or_false_is_named(mailing: tuple[Flask, Inbox, str], value: Any) -> None:
    app, _, _ = mailing
    response = submit(app.test_client(), notify_replies=value, notify_approval=value)
    assert response.status_code == 422
    assert response.json["fields"] == {"notify_replies": "must be true or false",
                                       "notify_approval": "must be true or false"}


def test_the_plain_form_takes_the_boxes(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, _ = mailing
    client = app.test_client()
    response = client.post("/comments", data={"comment": "From a theme.", "author": "Ann", "email": ANN,
                                              "comment_post_ID": "12345", "comment_notify_replies": "on"})
    assert response.status_code == 303
    with app.app_context():
        assert list(session().scalars(select(Subscription.kind))) == ["replies"]
    Worker(app).run_once()
    assert len(to(handler, ANN)) == 1


def test_without_mail_the_boxes_are_not_offered_and_nothing_is_kept(app: Flask, client: Any) -> None:
    assert client.get("/api/v1/form-token?article=12345").json["notices"] is False
    assert submit(client, notify_replies=True, notify_approval=True).status_code == 202
    with app.app_context():
        assert session().scalar(select(func.count()).select_from(Subscription)) == 0


@pytest.mark.parametrize("path", [
    "/notices/confirm/forged", "/notices/stop/forged",
    "/notices/stop/" + reader_links.stop_token("another secret", 1, None),
    "/notices/confirm/" + reader_links.stop_token(TEST_SECRET, 1, None),  # a stop link is no confirmation
])
def test_a_forged_or_altered_link_is_refused(mailing: tuple[Flask, Inbox, str], path: str) -> None:
    app, _, _ = mailing
    client = app.test_client()
    opted_in(client)
    Worker(app).run_once()
    for method in (client.get, client.post):
        response = method(path, headers={"Accept": "text/html"})
        assert response.status_code == 404 and "link_invalid" in response.get_data(as_text=True)
    assert consents(app)[0].confirmed_at is None and consents(app)[0].stopped_at is None


def test_an_old_confirmation_link_has_expired(mailing: tuple[Flask, Inbox, str], monkeypatch: Any) -> None:
    app, handler, _ = mailing
    client = app.test_client()
    opted_in(client, email=ANN)
    Worker(app).run_once()
    link = confirm_link(to(handler, ANN)[0])
    app.config["LINK_DAYS"] = 0  # as if the days had passed
    monkeypatch.setattr("time.time", lambda: datetime.now(timezone.utc).timestamp() + 5)
    assert client.post(link).status_code == 404 and consents(app)[0].confirmed_at is None


def test_export_shows_and_erase_removes_the_notices(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, _ = mailing
    client, runner = app.test_client(), app.test_cli_runner()
    ann = opted_in(client, email=ANN)
    Worker(app).run_once()
    client.post(confirm_link(to(handler, ANN)[0]))
    document = json.loads(runner.invoke(args=["person", "export", ANN]).output)
    notices = document["notices"]
    assert notices["consent"]["confirmed_at"] and notices["consent"]["stopped_at"] is None
    assert sorted((s["comment_id"], s["kind"]) for s in notices["subscriptions"]) == [(ann, "approval"),
                                                                                       (ann, "replies")]
    assert runner.invoke(args=["person", "erase", ANN, "--yes", "--keep-text"]).exit_code == 0
    assert consents(app) == []
    with app.app_context():
        assert session().scalar(select(func.count()).select_from(Subscription)) == 0
    document = json.loads(runner.invoke(args=["person", "export", ANN]).output)
    assert document["notices"] == {"consent": None, "subscriptions": []}


def test_the_plain_form_shows_the_boxes_and_keeps_them_ticked_when_refused(mailing: tuple[Flask, Inbox, str]) -> None:
    app, _, _ = mailing
    client = app.test_client()
    page = client.post("/comments", data={"comment": "No name.", "email": ANN, "comment_post_ID": "12345",
                                          "comment_notify_replies": "on"})
    assert page.status_code == 422
    boxes = {box.get("name"): box.get("checked") for box in parse(page).iter("input")
             if box.get("type") == "checkbox" and box.get("name", "").startswith("comment_notify")}
    assert boxes == {"comment_notify_approval": None, "comment_notify_replies": ""}
    with app.app_context():
        assert session().scalar(select(func.count()).select_from(Subscription)) == 0


def test_workers_at_once_ask_an_address_to_confirm_once(database_url: str, smtp_inbox: tuple[Inbox, int]) -> None:
    handler, port = smtp_inbox
    writer = mail_app(database_url, port)
    client = writer.test_client()
    opted_in(client, email=ANN, body="Yesterday's.")
    Worker(writer).run_once()
    with writer.app_context(), writing() as db:  # the address was asked over a day ago: it may be asked again
        db.execute(update(ReaderConsent).values(asked_at=datetime.now(timezone.utc) - timedelta(days=2)))
    for number in range(12):
        opted_in(client, email=ANN, body=f"Comment {number}.")
    workers = [Worker(mail_app(database_url, port)) for _ in range(4)]
    gate = threading.Barrier(len(workers))

    def drain(worker: Worker) -> None:
        gate.wait()
        with worker.app.app_context():  # one event a round each: four dispatchers on the one address at once
            for _ in range(6):
                outbox.dispatch([channel.recipients for channel in worker.channels], datetime.now(timezone.utc), 1)
        worker.run_once()

    threads = [threading.Thread(target=drain, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    Worker(writer).run_once()
    assert len(to(handler, ANN)) == 2 and len(consents(writer)) == 1  # yesterday's, and one today


def test_an_event_nobody_asked_about_costs_the_dispatcher_one_look(mailing: tuple[Flask, Inbox, str]) -> None:
    from sqlalchemy import event as sql_event

    from moderation.shared import of

    app, _, token = mailing
    client, worker = app.test_client(), Worker(app)
    parent = submit(client, body="Nobody asked for anything.").json["id"]
    moderate(client, token, parent, "approve")
    moderate(client, token, submit(client, parent_id=parent, body="Nor here.").json["id"], "approve")
    statements: list[str] = []
    sql_event.listen(of(app).engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with app.app_context():
        assert outbox.dispatch([channel.recipients for channel in worker.channels], datetime.now(timezone.utc)) == 4
    # No comment row, consent or earlier event was read for them: the subscriptions said "nobody".
    assert not [q for q in statements if "FROM comments" in q or "FROM reader_consents" in q
                or "outbox_events.comment_id =" in q], statements
