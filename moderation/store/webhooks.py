"""Webhook endpoints: added and removed (audited), listed, and looked up by event for the outbox.

A webhook's signing secret is kept sealed (`core.privacy.Sealer`): the worker opens it to
sign, and nothing ever shows it again after the answer that made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.store.audit import audit_entry
from moderation.store.database import locked, session, writing
from moderation.store.models import Moderator
from moderation.store.outbox_models import Webhook


def _describe(webhook: Webhook) -> str:
    return f"webhook {webhook.id}: {webhook.url} ({webhook.events})"[:500]


def add_webhook(url: str, events: Sequence[str], sealed: tuple[bytes, str], now: datetime,
                by: Moderator | None = None) -> Webhook:
    """Register an endpoint for events with its sealed secret (bytes, key id); audited."""
    with writing() as db:
        webhook = Webhook(url=url, events=",".join(events), secret_sealed=sealed[0], secret_key_id=sealed[1],
                          created_at=now)
        db.add(webhook)
        db.flush()
        db.add(audit_entry(by, "webhook_added", now, detail=_describe(webhook)))
    return webhook


def remove_webhook(webhook_id: int, now: datetime, by: Moderator | None = None) -> Webhook:
    """Remove an endpoint (its pending deliveries are dropped when due); audited; NotFound if none."""
    with writing() as db:
        webhook = locked(db, Webhook, webhook_id, f"There is no webhook {webhook_id}; it may have been removed.")
        db.delete(webhook)
        db.add(audit_entry(by, "webhook_removed", now, detail=_describe(webhook)))
    return webhook


def webhooks() -> Sequence[Webhook]:
    """Every endpoint, oldest first."""
    return session().scalars(select(Webhook).order_by(Webhook.id)).all()


def webhook(webhook_id: int) -> Webhook | None:
    """One endpoint by id, or None."""
    return session().get(Webhook, webhook_id)


def subscribed(db: Session, event: str) -> list[int]:
    """The ids of the endpoints that asked for this event, read in the caller's transaction."""
    rows = db.execute(select(Webhook.id, Webhook.events).order_by(Webhook.id)).all()
    return [webhook_id for webhook_id, events in rows if event in events.split(",")]
