"""The emails: a moderator's alert for one held comment and digest of several; a reader's notices.

Each has a plain-text part and an HTML part, both rendered from templates/mail/ (the HTML
autoescaped: a comment's text, name and title are a stranger's). The alert names the comment,
why it was held, its article and one-click links; never the commenter's email or IP address,
which the event's snapshot does not hold. The Message-ID is the delivery's key, so a message
sent twice (at least once) can be told for the same one. A reader's mail (a confirmation, "your
comment is published", "someone replied") carries RFC 8058's one-click unsubscribe headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template

from moderation.core.languages import N_
from moderation.core.links import sign
from moderation.i18n import in_language, mail_language, translate

SUBJECT_MAX = 120
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP  # readable in the raw message, unlike base64


@dataclass(frozen=True)
class Held:
    """One held comment as a message shows it, with its links {action: URL}."""

    id: int
    author: str
    text: str
    reason: str | None
    article_id: str
    title: str | None
    url: str | None
    links: dict[str, str]


def link_urls(secrets: dict[str, str]) -> dict[str, str]:
    """The public URL of each link secret ({action: secret} → {action: URL}), signed."""
    config = current_app.config
    base = config["PUBLIC_URL"].rstrip("/")
    return {action: f"{base}/moderate/links/{sign(config['SECRET_KEY'], secret)}" for action, secret in secrets.items()}


def one_line(text: str, limit: int = SUBJECT_MAX) -> str:
    """Text fit for a header: whitespace collapsed (no line break can slip in), cut to limit."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Notice:
    """A reader's mail: what it is about, and its links (`confirm`, `stop`, `stop_all`; `comment`, if known)."""

    kind: str  # "confirm", "approved" or "reply"
    title: str  # the article's title, or its id
    author: str  # who wrote the comment the mail is about (for a reply: who replied)
    text: str
    links: dict[str, str]
    lang: str | None = None  # the language of the reader's own comment (None: the site's)


SUBJECTS = {"confirm": N_("Please confirm: emails about your comment on %(title)s"),
            "approved": N_("Your comment on %(title)s is published"),
            "reply": N_("%(author)s replied to your comment on %(title)s")}


def reader(to: str, key: str, notice: Notice, now: datetime) -> Message:
    """A reader's mail, with the one-click unsubscribe of RFC 8058 (a POST to the stop link)."""
    unsubscribe = {"List-Unsubscribe": f"<{notice.links['stop']}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    with in_language(mail_language(notice.lang)):  # subject and both parts in the reader's language
        subject = translate(SUBJECTS[notice.kind], title=notice.title, author=notice.author)
        return _message(to, key, subject, now, f"reader_{notice.kind}", unsubscribe, notice=notice)


def _message(to: str, key: str, subject: str, now: datetime, template: str, headers: dict[str, str] | None = None,
             **context: Any) -> Message:
    config = current_app.config
    context.update(queue=config["PUBLIC_URL"].rstrip("/") + "/moderate/", days=config["LINK_DAYS"])
    fields = {"From": config["MAIL_FROM"], "To": to, "Subject": one_line(subject), "Date": format_datetime(now),
              "Message-ID": f"<{key}@{urlsplit(config['PUBLIC_URL']).hostname or 'localhost'}>",
              "Auto-Submitted": "auto-generated",  # RFC 3834: no vacation replies, please
              **(headers or {})}
    plain = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    if to.isascii() and parseaddr(fields["From"])[1].isascii():
        return _assembled(fields, plain, html)
    # An internationalized address (RFC 6531): the modern email API, which smtplib sends with SMTPUTF8.
    message = EmailMessage()
    for name, value in fields.items():
        message[name] = value
    message.set_content(plain)
    message.add_alternative(html, subtype="html")
    return message


def _assembled(fields: dict[str, str], plain: str, html: str) -> Message:
    """The message with the email package's compat32 classes: the same MIME as EmailMessage makes,
    about a quarter of its cost (its header objects were most of what a worker spent per message).
    Names and subjects outside ASCII are RFC 2047 encoded; both parts are quoted-printable UTF-8."""
    message = MIMEMultipart("alternative")
    for name, value in fields.items():
        if name == "From":
            message[name] = formataddr(parseaddr(value), "utf-8")
        else:
            message[name] = value if value.isascii() else Header(value, "utf-8", header_name=name).encode()
    for text, subtype in ((plain, "plain"), (html, "html")):
        part = MIMENonMultipart("text", subtype)
        part.set_payload(text, UTF8_QP)
        message.attach(part)
    return message


def alert(to: str, key: str, held: Held, now: datetime) -> Message:
    """The email telling one moderator of one held comment."""
    where = held.title or held.article_id
    return _message(to, key, f"Held for moderation: {held.author} on {where}", now, "held", held=held)


def digest(to: str, key: str, count: int, held: list[Held], now: datetime) -> Message:
    """The email listing the comments held since a moderator's last digest (count, and the first few)."""
    subject = f"{count} comment{'s' if count != 1 else ''} held for moderation"
    return _message(to, key, subject, now, "digest", count=count, items=held)
