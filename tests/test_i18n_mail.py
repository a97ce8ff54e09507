"""Readers' emails in the language of the reader's own comment, against a real SMTP server (aiosmtpd).

The confirmation and "published" mails follow the comment's `lang`; a reply notice follows the
comment replied to (its author's), never the replier's; a comment without one gets the site's.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from flask import Flask

from moderation.notify.worker import Worker

from helpers import Inbox, add_moderator, mail_app, moderate, parts, submit

ANN, BOB = "ann.leser@example.org", "bob.replier@example.org"
ARTICLE = {"article_url": "https://news.example/2026/12/story", "article_title": "Die <b>Geschichte</b>"}
CONFIRM = re.compile(r"https://comments\.news\.example(/notices/confirm/[A-Za-z0-9_.-]+)")


def to(handler: Inbox, address: str) -> list[EmailMessage]:
    """The messages the inbox has had for one address."""
    return [message for recipients, message in handler.messages if recipients == [address]]


def confirmed(client, handler: Inbox, worker: Worker, address: str) -> None:  # noqa: ANN001
    """Deliver and press the confirmation link the address was sent."""
    worker.run_once()
    [link] = CONFIRM.findall(parts(to(handler, address)[-1])[0])
    assert client.post(link).status_code == 200


@pytest.fixture
def mailing(database_url: str, smtp_inbox: tuple[Inbox, int]) -> tuple[Flask, Inbox, str]:
    """An app that mails the inbox, with a moderator's token."""
    handler, port = smtp_inbox
    app = mail_app(database_url, port, ALLOWED_ORIGINS="https://news.example")
    return app, handler, add_moderator(app)


def test_each_mail_is_in_the_language_of_the_readers_own_comment(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, token = mailing
    client, worker = app.test_client(), Worker(app)
    ann = submit(client, email=ANN, name="Ann", lang="de-DE", notify_approval=True, notify_replies=True,
                 **ARTICLE).json["id"]
    worker.run_once()
    [asking] = to(handler, ANN)
    assert asking["Subject"] == "Bitte bestätigen: E-Mails zu Ihrem Kommentar zu „Die <b>Geschichte</b>“"
    plain, html = parts(asking)
    assert "Jemand, wahrscheinlich Sie, hat unter dem Namen Ann" in plain and "Er ist 7 Tage lang gültig." in plain
    assert '<html lang="de" dir="ltr">' in html and "<strong>Die &lt;b&gt;Geschichte&lt;/b&gt;</strong>" in html
    [link] = CONFIRM.findall(plain)
    assert client.post(link).status_code == 200

    moderate(client, token, ann, "approve")
    worker.run_once()
    published = to(handler, ANN)[-1]
    assert published["Subject"] == "Ihr Kommentar zu „Die <b>Geschichte</b>“ ist veröffentlicht"
    assert "Sie haben geschrieben:" in parts(published)[0]

    # Bob writes in Arabic; Ann hears of his reply in German, the language she wrote in.
    reply = submit(client, email=BOB, name="Bob", parent_id=ann, lang="ar", body="ردّ قصير.").json["id"]
    moderate(client, token, reply, "approve")
    worker.run_once()
    replied = to(handler, ANN)[-1]
    assert replied["Subject"] == "Bob hat auf Ihren Kommentar zu „Die <b>Geschichte</b>“ geantwortet"
    plain, html = parts(replied)
    assert "ردّ قصير." in plain and "Im Gesprächsverlauf lesen:" in plain and 'lang="de"' in html


def test_an_arabic_readers_mail_reads_right_to_left(mailing: tuple[Flask, Inbox, str]) -> None:
    app, handler, _ = mailing
    submit(client := app.test_client(), email=ANN, lang="ar", notify_approval=True, **ARTICLE)
    Worker(app).run_once()
    [asking] = to(handler, ANN)
    plain, html = parts(asking)
    assert asking["Subject"].startswith("يُرجى التأكيد") and '<html lang="ar" dir="rtl">' in html
    assert "وهو صالح لمدة 7 أيام." in plain  # 7: Arabic's "few" form
    assert client is not None


@pytest.mark.parametrize(("site", "sent", "subject"), [
    ("es", {}, "Confirme, por favor: correos sobre su comentario en «Die <b>Geschichte</b>»"),
    ("en", {"lang": "tlh"}, "Please confirm: emails about your comment on Die <b>Geschichte</b>"),
])
def test_a_comment_without_a_shipped_language_is_mailed_in_the_sites(database_url: str,
                                                                     smtp_inbox: tuple[Inbox, int], site: str,
                                                                     sent: dict[str, str], subject: str) -> None:
    handler, port = smtp_inbox
    app = mail_app(database_url, port, ALLOWED_ORIGINS="https://news.example", LANGUAGE=site)
    assert submit(app.test_client(), email=ANN, notify_approval=True, **ARTICLE, **sent).status_code == 202
    Worker(app).run_once()
    [asking] = to(handler, ANN)
    assert asking["Subject"] == subject
