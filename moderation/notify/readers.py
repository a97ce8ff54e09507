"""Readers' mails, as the email channel plans and writes them: confirm, published, replied.

`recipients` asks `store.readers.plan` which mails an event causes. Each is written only when
it is sent, from what holds then: the comment still public (or, for a confirmation, not
spam), the wish still kept, the address confirmed and not stopped — else the delivery is
dropped. The address is opened from the comment itself (for a reply notice, the parent's),
so no address is ever copied into the outbox; a reply by the parent's own author tells
nobody. Every mail carries a stop link, sent as RFC 8058's one-click unsubscribe.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import Message
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from moderation.core import reader_links
from moderation.core.status import Status
from moderation.notify import messages
from moderation.shared import now, of
from moderation.store import readers
from moderation.store.models import Article, Comment
from moderation.store.outbox import Planned
from moderation.store.outbox_models import Delivery, OutboxEvent
from moderation.store.reader_models import ReaderConsent

PREFIXES = (readers.CONFIRM, readers.APPROVED, readers.REPLY)


class ReaderMail:
    """The readers' part of the email channel."""

    def __init__(self, app: Flask, channel: str) -> None:
        self.vault = of(app).vault
        self.channel = channel

    def recipients(self, db: Session, event: OutboxEvent, taken: dict[str, Any]) -> Sequence[Planned]:
        """The reader mails of one event."""
        return [Planned(self.channel, target) for target in readers.plan(db, event, taken, self.digests, now())]

    def digests(self, comment: Comment) -> Sequence[str]:
        """Every digest of a comment's address (under each key still configured), its stored one first."""
        address = self.vault.open_or_none(comment.email_sealed, comment.email_key_id)
        found = self.vault.digests(address) if address else ()
        return (comment.email_digest, *[digest for digest in found if digest != comment.email_digest])

    def compose(self, db: Session, delivery: Delivery, moment: datetime) -> Message | None:
        """The mail a delivery names, written from what holds now; None when it should not go."""
        kind, _, number = delivery.target.partition(":")
        comment = db.get(Comment, int(number)) if number.isdigit() else None
        if comment is None:
            return None
        if kind == readers.CONFIRM[:-1]:
            return self._confirm(db, delivery, comment, moment)
        if comment.status != Status.APPROVED:
            return None
        if kind == readers.APPROVED[:-1]:
            return self._notice(db, delivery, "approved", comment, comment, readers.APPROVAL, moment)
        parent = db.get(Comment, comment.parent_id) if comment.parent_id else None
        if kind != readers.REPLY[:-1] or parent is None or set(self.digests(parent)) & set(self.digests(comment)):
            return None  # no such mail, or the thread is gone, or they answered themselves
        return self._notice(db, delivery, "reply", parent, comment, readers.REPLIES, moment)

    def _confirm(self, db: Session, delivery: Delivery, comment: Comment, moment: datetime) -> Message | None:
        """The confirmation of the address of a comment that asked for notices; None once it needs none."""
        found = readers.consent(db, self.digests(comment))
        address = self._address(comment)
        if comment.status == Status.SPAM or found is None or found.confirmed_at or found.stopped_at or not address:
            return None
        secret = current_app.config["SECRET_KEY"]
        links = {"confirm": _url("confirm", reader_links.confirm_token(secret, found.id)),
                 "stop": _url("stop", reader_links.stop_token(secret, found.id, None))}
        notice = messages.Notice("confirm", _title(db, comment), comment.author_name, comment.body_text, links,
                                 comment.lang)
        return messages.reader(address, delivery.key, notice, moment)

    def _notice(self, db: Session, delivery: Delivery, kind: str, own: Comment, about: Comment, wish: str,
                moment: datetime) -> Message | None:
        """A notice to the author of own (the comment they asked with) about a published comment."""
        found: ReaderConsent | None = readers.consent(db, self.digests(own))
        address = self._address(own)
        if wish not in readers.wishes(db, own.id) or not readers.may_mail(found) or not address:
            return None
        assert found is not None  # may_mail says so
        secret, article = current_app.config["SECRET_KEY"], db.get(Article, about.article_id)
        links = {"stop": _url("stop", reader_links.stop_token(secret, found.id, own.id))}
        if article is not None and article.url:
            links["comment"] = f"{article.url.split('#')[0]}#comment-{about.id}"
        # In the language of the reader's own comment (for a reply notice, the one replied to).
        notice = messages.Notice(kind, _title(db, about), about.author_name, about.body_text, links, own.lang)
        return messages.reader(address, delivery.key, notice, moment)

    def _address(self, comment: Comment) -> str | None:
        return self.vault.open_or_none(comment.email_sealed, comment.email_key_id)


def is_reader(target: str) -> bool:
    """Whether a delivery's target is a reader's mail."""
    return target.startswith(PREFIXES)


def _url(page: str, token: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/notices/{page}/{token}"


def _title(db: Session, comment: Comment) -> str:
    article = db.get(Article, comment.article_id)
    return (article.title if article is not None and article.title else None) or comment.article_id
