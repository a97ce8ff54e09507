"""What a channel of the outbox worker is: who gets an event, and how a batch is delivered.

Each channel (email, webhooks) implements `Channel`; `channels(app)` lists those the app's
settings turn on. A channel never raises for one message: it reports each outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask
from sqlalchemy.orm import Session

from moderation.store.outbox import Planned
from moderation.store.outbox_models import Delivery, OutboxEvent


@dataclass(frozen=True)
class Outcome:
    """How one delivery went: sent (error None), failed with an error (tried again), or dropped."""

    delivery_id: int
    error: str | None = None
    drop: bool = False


class Channel(Protocol):
    """One way of telling people. A channel may set `chunk`: how many deliveries it sends before
    the worker records their outcomes (`worker.CHUNK` when it does not)."""

    name: str  # the deliveries' channel column

    def recipients(self, db: Session, event: OutboxEvent, taken: dict[str, Any]) -> Sequence[Planned]:
        """The deliveries to make of one event, read in the dispatcher's transaction."""

    def deliver(self, batch: Sequence[tuple[Delivery, OutboxEvent | None]]) -> list[Outcome]:
        """Send a batch of claimed deliveries (one connection for all, where the channel has one)."""


def channels(app: Flask) -> list[Channel]:
    """The channels the app's settings turn on, in the order the worker serves them."""
    from moderation.notify.spamreport import SpamReports  # they import this module's Outcome
    from moderation.notify.webhooks import WebhookChannel

    found: list[Channel] = []
    if app.config["SMTP_URL"]:  # unset: nothing is ever queued for email
        from moderation.notify.mail import EmailChannel

        found.append(EmailChannel(app))
    found.append(WebhookChannel(app))  # always on: with no endpoint it plans nothing
    if app.config["SPAM_CHECK_URL"]:
        found.append(SpamReports(app))
    return found
