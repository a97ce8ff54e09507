"""`flask --app app worker`: deliver the outbox's email and webhooks until stopped."""

from __future__ import annotations

import signal
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from moderation.notify.worker import Worker


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for cron or a test).")
@with_appcontext
def worker(once: bool) -> None:
    """Deliver queued email and webhooks until stopped (SIGTERM or Ctrl-C finish the current batch)."""
    runner = Worker(current_app._get_current_object())  # type: ignore[attr-defined]
    if once:
        click.echo(f"Attempted {runner.run_once()} deliveries.")
        return
    names = ", ".join(channel.name for channel in runner.channels) or "none configured (see the README)"
    click.echo(f"Outbox worker started; channels: {names}. Stop it with Ctrl-C.")

    def stop(_signal: int, _frame: FrameType | None) -> None:
        runner.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.run()
    click.echo("Outbox worker stopped.")


COMMANDS = (worker,)
