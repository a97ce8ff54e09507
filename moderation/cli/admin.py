"""The command line's database set-up: init-db creates the schema or upgrades it."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from moderation.cli.migrations import bring_up_to_date
from moderation.store.database import engine


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database schema, or upgrade an existing one to the latest revision; safe to run again."""
    bring_up_to_date()
    click.echo(f"Database ready: {engine().url.render_as_string(hide_password=True)}")


COMMANDS = (init_db,)
