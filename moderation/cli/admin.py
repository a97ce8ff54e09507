"""The command line: init-db, create-moderator, create-token."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from moderation.cli.migrations import bring_up_to_date
from moderation.core.credentials import check_name, check_new_password, hash_password, new_token, token_hash
from moderation.errors import ValidationFailed
from moderation.shared import now
from moderation.store import moderators
from moderation.store.database import engine


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database schema, or upgrade an existing one to the latest revision; safe to run again."""
    bring_up_to_date()
    click.echo(f"Database ready: {engine().url.render_as_string(hide_password=True)}")


@click.command("create-moderator")
@with_appcontext
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password as one line from standard input.")
def create_moderator(name: str, password_stdin: bool) -> None:
    """Create moderator NAME (or set a new password for an existing one)."""
    try:
        name = check_name(name)
    except ValidationFailed as error:
        raise click.BadParameter((error.fields or {})["name"], param_hint="NAME") from None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_new_password(password, password)
    except ValidationFailed as error:
        raise click.UsageError(f"The password {(error.fields or {})['new_password']}.") from None
    bring_up_to_date(quiet=True)  # a moderator made before init-db still gets the whole, current schema
    created = moderators.save_moderator(name, hash_password(password), now())
    click.echo(f"Moderator {name!r} {'created' if created else 'password changed'}.")


@click.command("create-token")
@with_appcontext
@click.argument("name")
def create_token(name: str) -> None:
    """Print a new API token for moderator NAME (shown once, stored only hashed)."""
    moderator = moderators.moderator_by_name(name)
    if moderator is None:
        raise click.UsageError(f"There is no moderator {name!r}; make one with create-moderator.")
    token = new_token()
    moderators.add_token(moderator.id, token_hash(token), now())
    click.echo(f"New API token for {name!r} (it is not shown again):")
    click.echo(token)


COMMANDS = (init_db, create_moderator, create_token)
