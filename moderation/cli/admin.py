"""The command line's database set-up: init-db creates the schema or upgrades it; seed-demo
gives the demo blog its first conversation."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from moderation import demo
from moderation.cli.migrations import bring_up_to_date
from moderation.shared import now, shared
from moderation.store.database import engine


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database schema, or upgrade an existing one to the latest revision; safe to run again."""
    bring_up_to_date()
    click.echo(f"Database ready: {engine().url.render_as_string(hide_password=True)}")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Give the demo blog a few approved, threaded comments, once (a database with demo articles is left be)."""
    if not current_app.config["DEMO"]:
        click.echo("The demo blog is off (MODERATION_DEMO=false): nothing seeded.")
        return
    bring_up_to_date(quiet=True)
    added = demo.seed(shared().vault, now())
    if added is None:
        click.echo("The demo blog has its articles already: nothing seeded.")
    else:
        click.echo(f"Seeded the demo blog with {added} approved comments.")


COMMANDS = (init_db, seed_demo)
