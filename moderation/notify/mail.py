"""The email channel: moderators told of held comments, one by one or in a digest; readers' notices.

On only when MODERATION_SMTP_URL is set (`notify.channel.channels`): unset, no email delivery
is ever queued. A held comment (`comment.created` pending, or `comment.held`: a published one
readers' reports took back to the queue) gets one delivery per moderator
with an address who chose `each`; whoever chose `digest` gets one, planned each round by
`store.notices.plan_digests`. The recipient is read again when sending: a removed moderator,
one without an address or with another choice by then, or a comment decided meanwhile, is
dropped. The one-click links' rows are written just before the batch is sent. Readers' mails
(confirmations, approval and reply notices) are planned and written by `notify.readers`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from email.message import Message
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.core import events
from moderation.core.notices import DIGEST, DIGEST_LIMIT, EACH
from moderation.core.status import Status
from moderation.notify import messages, readers, smtp
from moderation.notify.channel import Outcome
from moderation.shared import now
from moderation.store import links, notices
from moderation.store.database import session, writing
from moderation.store.models import Article, Comment, Moderator
from moderation.store.outbox import Planned
from moderation.store.outbox_models import Delivery, OutboxEvent

NAME = "email"
PREFIX = "moderator:"

Batch = Sequence[tuple[Delivery, OutboxEvent | None]]


class EmailChannel:
    """Moderators' alerts and digests over SMTP."""

    name = NAME

    def __init__(self, app: Flask) -> None:
        self.server = smtp.server(app.config["SMTP_URL"])
        self.digest_minutes: int = app.config["DIGEST_MINUTES"]
        self.link_days: int = app.config["LINK_DAYS"]
        self._articles: dict[str, Article] = {}  # the current batch's, loaded in one query
        self.readers = readers.ReaderMail(app, NAME)

    def recipients(self, db: Session, event: OutboxEvent, taken: dict[str, Any]) -> Sequence[Planned]:
        """One delivery per moderator who wants each held comment, for a comment just held; readers' mails."""
        planned = list(self.readers.recipients(db, event, taken))
        if event.event not in events.HOLDS or taken.get("status") != Status.PENDING:
            return planned
        wanted = db.scalars(select(Moderator.id).where(Moderator.email.is_not(None), Moderator.notify == EACH)
                            .order_by(Moderator.id))
        return [Planned(NAME, f"{PREFIX}{moderator_id}") for moderator_id in wanted] + planned

    def tick(self, moment: datetime) -> None:
        """Plan the digests that are due (the worker calls this each round)."""
        notices.plan_digests(moment, self.digest_minutes)

    def deliver(self, batch: Batch) -> list[Outcome]:
        """Compose each message (writing its links), then send them all over one connection."""
        outcomes, ready = self._compose(batch, now())
        sent = smtp.send_all(self.server, [message for _, message in ready])
        return outcomes + [Outcome(delivery_id, error) for (delivery_id, _), error in zip(ready, sent)]

    def _compose(self, batch: Batch, moment: datetime) -> tuple[list[Outcome], list[tuple[int, Message]]]:
        """Messages for the deliveries that still have a recipient and a subject; drops for the rest."""
        team = notices.moderators_by_id([_moderator_id(d.target) for d, _ in batch])
        held_ids = [event.comment_id for _, event in batch if event and event.comment_id is not None]
        comments = {c.id: c for c in session().scalars(select(Comment).where(Comment.id.in_(held_ids)))}
        dropped: list[Outcome] = []
        ready: list[tuple[int, Message]] = []
        # The links of every message in the batch, in one transaction, written in one flush at its end;
        # the comments' articles loaded first, in one query, so that each message finds its own at once.
        with writing() as db, db.no_autoflush:
            self._articles = {article.id: article for article in db.scalars(
                select(Article).where(Article.id.in_({c.article_id for c in comments.values()})))}
            for delivery, event in batch:
                if readers.is_reader(delivery.target):
                    reader_mail = self.readers.compose(db, delivery, moment)
                    if reader_mail is None:
                        dropped.append(Outcome(delivery.id, "the reader's notice is no longer wanted", drop=True))
                    else:
                        ready.append((delivery.id, reader_mail))
                    continue
                moderator = team.get(_moderator_id(delivery.target))
                digest = event is not None and event.event == notices.DIGEST_EVENT
                if moderator is None or not moderator.email or moderator.notify != (DIGEST if digest else EACH):
                    dropped.append(Outcome(delivery.id, "no such recipient any more", drop=True))
                    continue
                assert event is not None  # every email delivery is made for an event
                message = (self._digest(db, moderator, delivery, event, moment) if digest
                           else self._alert(db, moderator, delivery, event, comments, moment))
                if message is None:
                    dropped.append(Outcome(delivery.id, "nothing waits for a moderator any more", drop=True))
                else:
                    ready.append((delivery.id, message))
        return dropped, ready

    def _held(self, db: Session, moderator: Moderator, comment: Comment, taken: dict[str, Any] | None,
              moment: datetime) -> messages.Held:
        """A held comment with this moderator's new links (the snapshot's text and reason, when given)."""
        article = self._articles.get(comment.article_id) or db.get(Article, comment.article_id)
        secrets = links.issue(db, moderator.id, comment.id, moment, self.link_days)
        return messages.Held(id=comment.id, author=comment.author_name,
                             text=taken["text"] if taken else comment.body_text,
                             reason=taken["reason"] if taken else comment.reason, article_id=comment.article_id,
                             title=article.title if article else None, url=article.url if article else None,
                             links=messages.link_urls(secrets))

    def _alert(self, db: Session, moderator: Moderator, delivery: Delivery, event: OutboxEvent,
               comments: dict[int, Comment], moment: datetime) -> Message | None:
        """The alert for one held comment; None once it is decided."""
        comment = comments.get(event.comment_id or 0)
        if comment is None or comment.status != Status.PENDING:
            return None
        held = self._held(db, moderator, comment, json.loads(event.snapshot), moment)
        return messages.alert(moderator.email or "", delivery.key, held, moment)

    def _digest(self, db: Session, moderator: Moderator, delivery: Delivery, event: OutboxEvent,
                moment: datetime) -> Message | None:
        """The digest planned by this event: what still waits of what was held in its window."""
        window = json.loads(event.snapshot)
        count, rows = notices.held_since(datetime.fromisoformat(window["since"]),
                                         datetime.fromisoformat(window["until"]), DIGEST_LIMIT, db)
        if not count:
            return None
        held = [self._held(db, moderator, comment, None, moment) for comment in rows]
        return messages.digest(moderator.email or "", delivery.key, count, held, moment)


def _moderator_id(target: str) -> int:
    """The moderator a delivery's target names (0, nobody, for another kind of target)."""
    number = target.removeprefix(PREFIX)
    return int(number) if target.startswith(PREFIX) and number.isdigit() else 0
