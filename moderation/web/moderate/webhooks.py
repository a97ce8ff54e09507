"""/moderate/webhooks: the endpoints that receive signed events, managed by an admin.

What `flask webhook add|list|remove` do, on the web: adding checks the URL and its host
(`notify.webhooks.register`) and shows the new signing secret once, in the answer to the
POST that made it (never in the session cookie or a flash message); removing asks first.
Each change is audited under the admin's name.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from moderation.core.events import EVENTS
from moderation.core.webhooks import URL_MAX
from moderation.errors import NotFound, ValidationFailed
from moderation.notify.webhooks import register
from moderation.shared import now
from moderation.store import webhooks as store
from moderation.store.outbox_models import Webhook
from moderation.web.moderate.chrome import install
from moderation.web.moderate.sessions import admin_required

bp = install(Blueprint("webhooks", __name__, url_prefix="/moderate/webhooks"))


def _page(typed: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
          made: tuple[Webhook, str] | None = None) -> str:
    """The webhooks page: a refused form kept as typed, or a new webhook's secret."""
    return render_template("moderate/webhooks.html", webhooks=store.webhooks(), events=EVENTS, url_max=URL_MAX,
                           allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"],
                           typed=typed or {"url": "", "events": EVENTS}, errors=errors or {}, made=made)


def _webhook(webhook_id: int) -> Webhook:
    """One webhook by id; NotFound when there is none."""
    found = store.webhook(webhook_id)
    if found is None:
        raise NotFound(f"There is no webhook {webhook_id}; it may have been removed already.")
    return found


@bp.get("")
@admin_required
def page() -> str:
    """Every webhook (never its secret), and the forms to add and remove one."""
    return _page()


@bp.post("")
@admin_required
def add() -> Any:
    """Add a webhook for the events ticked, and show its signing secret this once."""
    url, events = request.form.get("url", ""), request.form.getlist("events")
    try:
        made, secret = register(url, events, by=g.moderator)
    except ValidationFailed as error:
        return _page({"url": url, "events": events}, error.fields), 422
    return _page(made=(made, secret)), 201


@bp.post("/<int:webhook_id>/remove")
@admin_required
def remove(webhook_id: int) -> Any:
    """Remove a webhook, after asking: nothing more is sent to it."""
    webhook = _webhook(webhook_id)
    if request.form.get("confirm") != "yes":
        return render_template("moderate/confirm_webhook.html", webhook=webhook)
    try:
        store.remove_webhook(webhook_id, now(), by=g.moderator)
    except NotFound:
        pass  # removed by another admin meanwhile: the same outcome
    flash(f"Removed webhook {webhook_id}: nothing more is sent to it.")
    return redirect(url_for(".page"), 303)
