"""The `flask --app app db …` commands: Alembic's upgrade, downgrade, current and history for operators."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from moderation.store import migrate
from moderation.store.database import engine


def bring_up_to_date(revision: str = "head", quiet: bool = False) -> None:
    """Upgrade the app's database to revision, saying what was done unless quiet; a clear error when it cannot."""
    try:
        before, after, stamped = migrate.upgrade(engine(), revision)
    except migrate.UnknownSchema as error:
        raise click.ClickException(f"Cannot migrate: {error}.") from None
    if quiet:
        return
    if stamped:
        click.echo(f"Recognised a database made before migrations: stamped at revision {migrate.BASELINE}.")
    if before != after:
        click.echo(f"Upgraded from revision {before or '(empty database)'} to {after}.")
    elif not stamped:  # a database just stamped was not "already" anywhere
        click.echo(f"Already at revision {after}.")


@click.group("db")
def db() -> None:
    """Schema migrations (Alembic): upgrade, downgrade, current, history."""


@db.command("upgrade")
@with_appcontext
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: the latest, head)."""
    bring_up_to_date(revision)


@db.command("downgrade")
@with_appcontext
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (what later revisions added is dropped, rows too)."""
    migrate.downgrade(engine(), revision)
    click.echo(f"Downgraded to revision {migrate.current(engine()) or '(none: empty database)'}.")


@db.command("current")
@with_appcontext
def current() -> None:
    """Print the database's revision, and whether it is the latest."""
    revision = migrate.current(engine())
    latest = migrate.head()
    click.echo(f"{revision or '(none)'}{' (head)' if revision == latest else f'; the latest is {latest}'}")


@db.command("history")
@with_appcontext
def history() -> None:
    """List every revision, newest first, marking the database's."""
    migrate.history(engine(), sys.stdout)


COMMANDS = (db,)
