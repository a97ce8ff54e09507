"""`flask --app app webhook add|list|remove`: the endpoints that receive signed events.

`add` prints the new endpoint's `whsec_…` signing secret once (it is kept sealed, never
shown again); a bad URL, an unknown event or id, or a host that resolves to a private
address exits with status 2 and says why. Every change is audited as the command line's.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from moderation.core.events import EVENTS
from moderation.core.times import timestamp
from moderation.errors import NotFound, ValidationFailed
from moderation.notify.webhooks import register
from moderation.shared import now
from moderation.store import webhooks as store


@click.group("webhook")
def webhook() -> None:
    """Add, list and remove webhook endpoints (signed per Standard Webhooks)."""


@webhook.command("add")
@with_appcontext
@click.argument("url")
@click.option("--events", default=",".join(EVENTS), show_default=True,
              help="Comma-separated events to send: " + ", ".join(EVENTS) + ".")
def add(url: str, events: str) -> None:
    """Register URL for events and print its signing secret (shown this once)."""
    try:
        made, secret = register(url, events)
    except ValidationFailed as error:
        fields = error.fields or {}
        hint = "URL" if "url" in fields else "--events"
        raise click.BadParameter("; ".join(f"the {name} {text}" for name, text in fields.items()),
                                 param_hint=hint) from None
    click.echo(f"Webhook {made.id} added for {made.events}.")
    click.echo("Its signing secret (copy it now: it is not shown again):")
    click.echo(secret)


@webhook.command("list")
@with_appcontext
def list_webhooks() -> None:
    """List the endpoints: id, URL, events, created (never the secret)."""
    found = store.webhooks()
    if not found:
        click.echo("There are no webhooks; add one with `flask --app app webhook add URL`.")
        return
    for hook in found:
        click.echo(f"{hook.id}  {hook.url}  {hook.events}  {timestamp(hook.created_at)}")


@webhook.command("remove")
@with_appcontext
@click.argument("webhook_id", metavar="ID", type=click.IntRange(1))
def remove(webhook_id: int) -> None:
    """Remove webhook ID: nothing more is sent to it, queued deliveries included."""
    try:
        gone = store.remove_webhook(webhook_id, now())
    except NotFound as error:
        raise click.UsageError(f"{error.message} `flask --app app webhook list` lists them.") from None
    click.echo(f"Webhook {gone.id} ({gone.url}) removed.")


COMMANDS = (webhook,)
