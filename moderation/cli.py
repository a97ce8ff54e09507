"""The command line: init-db, create-moderator, create-token."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import click
from flask import Flask
from flask.cli import with_appcontext

from . import auth, store
from .database import create_schema, engine


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database schema; safe to run again."""
    create_schema(engine())
    click.echo(f"Database ready: {engine().url.render_as_string(hide_password=True)}")


@click.command("create-moderator")
@with_appcontext
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password as one line from standard input.")
def create_moderator(name: str, password_stdin: bool) -> None:
    """Create moderator NAME (or set a new password for an existing one)."""
    name = name.strip()
    if not 1 <= len(name) <= 64 or not name.isprintable():
        raise click.BadParameter("must be 1–64 printable characters", param_hint="NAME")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.UsageError("The password must be at least 8 characters.")
    create_schema(engine())
    created = store.save_moderator(name, auth.hash_password(password), datetime.now(timezone.utc))
    click.echo(f"Moderator {name!r} {'created' if created else 'password changed'}.")


@click.command("create-token")
@with_appcontext
@click.argument("name")
def create_token(name: str) -> None:
    """Print a new API token for moderator NAME (shown once, stored only hashed)."""
    moderator = store.moderator_by_name(name)
    if moderator is None:
        raise click.UsageError(f"There is no moderator {name!r}; make one with create-moderator.")
    token = auth.new_token()
    store.add_token(moderator.id, auth.token_hash(token), datetime.now(timezone.utc))
    click.echo(f"New API token for {name!r} (it is not shown again):")
    click.echo(token)


def init_app(app: Flask) -> None:
    """Register the commands with `flask --app app`."""
    for command in (init_db, create_moderator, create_token):
        app.cli.add_command(command)
