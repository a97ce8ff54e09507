"""The spam check's channel: a moderator's spam and approval decisions reported back to it.

On when MODERATION_SPAM_CHECK_URL is set. A comment a moderator marks spam is sent to
Akismet's submit-spam, one they approve to submit-ham, so the classifier learns from the
site's moderators. The comment is read when the report is sent (a deleted one is dropped);
its email never goes, as for the check itself.
"""

from __future__ import annotations

import urllib.error
from collections.abc import Sequence
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from moderation import spamcheck
from moderation.core import events
from moderation.notify.channel import Outcome
from moderation.store.database import session
from moderation.store.models import Article, Comment
from moderation.store.outbox import Planned
from moderation.store.outbox_models import Delivery, OutboxEvent

DECISIONS = {events.SPAM: True, events.APPROVED: False}  # the event, and whether it says spam


class SpamReports:
    """Reports moderators' decisions to the configured spam check."""

    name = "spamcheck"
    chunk = 5  # reports recorded together (each may take MODERATION_SPAM_CHECK_TIMEOUT)

    def __init__(self, app: Flask) -> None:
        self.url = app.config["SPAM_CHECK_URL"]
        self.timeout = app.config["SPAM_CHECK_TIMEOUT"]

    def recipients(self, db: Session, event: OutboxEvent, taken: dict[str, Any]) -> Sequence[Planned]:
        """One report for each spam or approval decision."""
        return [Planned(self.name, "spamcheck")] if event.event in DECISIONS else []

    def deliver(self, batch: Sequence[tuple[Delivery, OutboxEvent | None]]) -> list[Outcome]:
        """Send each report; a comment deleted since is dropped, an error tried again later."""
        return [self._one(delivery, event) for delivery, event in batch]

    def _one(self, delivery: Delivery, event: OutboxEvent | None) -> Outcome:
        found = session().get(Comment, event.comment_id) if event and event.comment_id else None
        if event is None or found is None:
            return Outcome(delivery.id, "the comment is gone", drop=True)
        article = session().get(Article, found.article_id)
        url = (article.url if article else None) or ""
        fields = spamcheck.fields_of(found.author_name, found.author_website, found.body_text, found.ip, "",
                                     url, url)
        try:
            spamcheck.report(self.url, self.timeout, fields, spam=DECISIONS[event.event])
        except (OSError, urllib.error.URLError, ValueError) as error:
            return Outcome(delivery.id, f"spam check report failed: {spamcheck.describe(error)}")
        return Outcome(delivery.id)
