"""Webhooks: registering an endpoint, and the outbox channel that POSTs it signed events.

`register` checks a URL and its events, refuses a host that resolves to a private address,
and stores a new `whsec_` secret sealed. `WebhookChannel` plans one delivery per endpoint
subscribed to an event and sends each as compact JSON signed per Standard Webhooks, the
delivery's key as `webhook-id` (the same on every retry, for the receiver to drop repeats).
The address is checked again at delivery time, and that checked address is the one used.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from moderation.core.events import public_payload
from moderation.core.privacy import Sealer
from moderation.core.times import timestamp
from moderation.core.webhooks import body_of, check_webhook, new_secret, signature
from moderation.errors import ValidationFailed
from moderation.notify.channel import Outcome
from moderation.notify.endpoints import Refused, Target, Unresolvable, post, resolve
from moderation.shared import now
from moderation.store import webhooks as store
from moderation.store.models import Moderator
from moderation.store.outbox import Planned
from moderation.store.outbox_models import Delivery, OutboxEvent, Webhook

NAME = "webhook"
SEALING_LABEL = "moderation webhook secret v1"
USER_AGENT = "comment-moderation-webhooks/1 (Standard Webhooks)"


def sealer(app: Flask) -> Sealer:
    """What seals and opens an app's webhook secrets (keys from the secret key, their own label)."""
    return Sealer(SEALING_LABEL, app.config["SECRET_KEY"], tuple(app.config["OLD_SECRET_KEYS"]))


def register(url: str, events: str | Iterable[str] | None, by: Moderator | None = None) -> tuple[Webhook, str]:
    """Add an endpoint (audited) and return it with its new secret, to be shown this once.

    ValidationFailed names the field: a URL that is not http(s), too long, or whose host does
    not resolve or resolves to a private address (unless MODERATION_WEBHOOKS_ALLOW_PRIVATE); an
    unknown event."""
    url, chosen = check_webhook(url, events)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        resolve(url, app.config["WEBHOOKS_ALLOW_PRIVATE"])
    except (Refused, Unresolvable) as error:
        raise ValidationFailed({"url": str(error)}, "The webhook was not added.") from None
    secret = new_secret()
    return store.add_webhook(url, chosen, sealer(app).seal(secret), now(), by), secret


def _webhook_id(target: str) -> int | None:
    """The id in a delivery's target, "webhook:<id>"."""
    prefix, _, number = target.partition(":")
    return int(number) if prefix == NAME and number.isdigit() else None


class WebhookChannel:
    """The outbox channel that POSTs signed events to the registered endpoints."""

    name = NAME
    chunk = 5  # POSTs recorded together: each may take its timeouts, and a chunk must end within its lease

    def __init__(self, app: Flask) -> None:
        self.allow_private = bool(app.config["WEBHOOKS_ALLOW_PRIVATE"])
        self.sealer = sealer(app)

    def recipients(self, db: Session, event: OutboxEvent, taken: dict[str, Any]) -> Sequence[Planned]:
        """One delivery per endpoint subscribed to the event."""
        return [Planned(NAME, f"{NAME}:{webhook_id}") for webhook_id in store.subscribed(db, event.event)]

    def deliver(self, batch: Sequence[tuple[Delivery, OutboxEvent | None]]) -> list[Outcome]:
        """Send each delivery; an endpoint removed, or refused, since the event is dropped."""
        return [self._deliver_one(delivery, event) for delivery, event in batch]

    def _deliver_one(self, delivery: Delivery, event: OutboxEvent | None) -> Outcome:
        webhook_id = _webhook_id(delivery.target)
        webhook = store.webhook(webhook_id) if webhook_id is not None else None
        if webhook is None or event is None:
            return Outcome(delivery.id, "the webhook (or its event) no longer exists", drop=True)
        secret = self.sealer.open(webhook.secret_sealed, webhook.secret_key_id)
        if secret is None:
            return Outcome(delivery.id, "the webhook's secret cannot be opened: its secret key is gone", drop=True)
        try:
            target = resolve(webhook.url, self.allow_private)
        except Refused as error:
            return Outcome(delivery.id, f"refused: {error}", drop=True)
        except Unresolvable as error:
            return Outcome(delivery.id, str(error))
        return self._post(delivery, target, self._signed(delivery, event, secret))

    def _signed(self, delivery: Delivery, event: OutboxEvent, secret: str) -> tuple[dict[str, str], bytes]:
        """The headers and body of one delivery, signed now."""
        body = body_of(public_payload(event.event, event.id, json.loads(event.snapshot), timestamp(event.created_at)))
        sent_at = int(now().timestamp())
        return {"webhook-id": delivery.key, "webhook-timestamp": str(sent_at),
                "webhook-signature": signature(secret, delivery.key, sent_at, body),
                "Content-Type": "application/json", "User-Agent": USER_AGENT}, body

    @staticmethod
    def _post(delivery: Delivery, target: Target, signed: tuple[dict[str, str], bytes]) -> Outcome:
        """POST one signed delivery and judge the answer: 2xx sent, 410 dropped, anything else retried."""
        try:
            status = post(target, *signed)
        except (OSError, http.client.HTTPException) as error:
            return Outcome(delivery.id, f"{type(error).__name__}: {error}"[:300])
        if 200 <= status < 300:
            return Outcome(delivery.id)
        if status == 410:
            return Outcome(delivery.id, "410 Gone: the receiver asked for no more", drop=True)
        if 300 <= status < 400:
            return Outcome(delivery.id, f"HTTP {status}: a redirect, not followed (it could point anywhere)")
        return Outcome(delivery.id, f"HTTP {status}")
