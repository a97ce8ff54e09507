"""The command line for the team: moderators, their roles, and their API tokens.

Every creation, removal and revocation is audited as the command line's; a token's
secret is printed once, when it is made, and never again (only its hash is kept).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timedelta

import click
from flask.cli import with_appcontext

from moderation.cli.migrations import bring_up_to_date
from moderation.core.credentials import (
    EXPIRES_MAX_DAYS,
    ROLES,
    check_label,
    check_name,
    check_new_password,
    hash_password,
    new_token,
    token_hash,
)
from moderation.core.notices import check_email
from moderation.core.times import timestamp
from moderation.errors import ApiError, ValidationFailed
from moderation.shared import now
from moderation.store import moderators, notices
from moderation.store.models import Moderator


def _moderator(name: str) -> Moderator:
    """The moderator called name, or a usage error saying there is none."""
    moderator = moderators.moderator_by_name(name)
    if moderator is None:
        raise click.UsageError(f"There is no moderator {name!r}; `flask --app app moderators` lists them.")
    return moderator


def _when(moment: datetime | None, never: str = "never") -> str:
    return timestamp(moment) if moment else never


@click.command("create-moderator")
@with_appcontext
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES),
              help="admin (the team, tokens, rules, personal data) or moderator (the queue and articles). "
                   "Default: admin for a site's first moderator, moderator after; an existing one keeps theirs.")
@click.option("--email", metavar="ADDRESS", help="Where to email them of held comments (each one, by default; "
              "they can choose a digest or none on /moderate/notices).")
@click.option("--password-stdin", is_flag=True, help="Read the password as one line from standard input.")
@click.option("--revoke-tokens", is_flag=True, help="For an existing moderator: also end all their API tokens.")
def create_moderator(name: str, role: str | None, email: str | None, password_stdin: bool,
                     revoke_tokens: bool) -> None:
    """Create moderator NAME (or set a new password, and maybe role and address, for an existing one)."""
    try:
        name = check_name(name)
    except ValidationFailed as error:
        raise click.BadParameter((error.fields or {})["name"], param_hint="NAME") from None
    try:
        address = check_email(email) if email is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--email") from None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_new_password(password, password)
    except ValidationFailed as error:
        raise click.UsageError(f"The password {(error.fields or {})['new_password']}.") from None
    bring_up_to_date(quiet=True)  # a moderator made before init-db still gets the whole, current schema
    try:
        moderator, created = moderators.save_moderator(name, hash_password(password), now(), role)
    except ApiError as error:
        raise click.UsageError(error.message) from None
    if address:
        notices.set_notices(moderator.id, address, moderator.notify, now())
        click.echo(f"Held comments will be emailed to {address} ({moderator.notify}).")
    if created:
        click.echo(f"Moderator {name!r} created ({moderator.role}).")
        return
    click.echo(f"Moderator {name!r}: password changed ({moderator.role}).")
    _offer_to_revoke(moderator, revoke_tokens, ask=not password_stdin)


def _offer_to_revoke(moderator: Moderator, revoke: bool, ask: bool) -> None:
    """After a password change: end the moderator's tokens if told to (or, asked, if they say so)."""
    live = moderators.live_tokens(moderator.id, now())
    if not live:
        return
    if not revoke and ask:
        revoke = click.confirm(f"{moderator.name} has {len(live)} API token(s). Revoke them too?", default=False)
    if revoke:
        click.echo(f"Revoked {moderators.revoke_tokens_of(moderator, now())} API token(s).")
    else:
        click.echo(f"{len(live)} API token(s) of {moderator.name!r} still work; end them with "
                   f"`revoke-token ID` (see `tokens {moderator.name}`) or `--revoke-tokens`.")


@click.command("create-token")
@with_appcontext
@click.argument("name")
@click.option("--label", help="What the token is for (shown in `tokens NAME`), up to 100 characters.")
@click.option("--expires-in", "days", type=click.IntRange(1, EXPIRES_MAX_DAYS), metavar="DAYS",
              help="The token stops working after this many days. Default: never.")
def create_token(name: str, label: str | None, days: int | None) -> None:
    """Print a new API token for moderator NAME (shown once, stored only hashed)."""
    moderator = _moderator(name)
    try:
        checked = check_label(label)
    except ValidationFailed as error:
        raise click.BadParameter((error.fields or {})["label"], param_hint="--label") from None
    secret, moment = new_token(), now()
    details = moderators.NewToken(checked, moment + timedelta(days=days) if days else None)
    token = moderators.add_token(moderator, token_hash(secret), moment, details)
    expiry = f"expires {timestamp(token.expires_at)}" if token.expires_at else "does not expire"
    click.echo(f"New API token {token.id} for {name!r} ({expiry}; it is not shown again):")
    click.echo(secret)


@click.command("moderators")
@with_appcontext
def list_moderators() -> None:
    """List moderators: name, role, created, last log-in, live tokens."""
    team = moderators.moderators(now())
    if not team:
        click.echo("There are no moderators yet; make one with `flask --app app create-moderator NAME`.")
        return
    rows = [("NAME", "ROLE", "CREATED", "LAST LOG-IN", "TOKENS")]
    rows += [(m.name, m.role, timestamp(m.created_at), _when(m.last_login_at), str(count)) for m, count in team]
    _table(rows)


@click.command("delete-moderator")
@with_appcontext
@click.argument("name")
def delete_moderator(name: str) -> None:
    """Remove moderator NAME: their sessions and tokens end at once; the audit log keeps their name."""
    moderator = _moderator(name)
    try:
        moderators.delete_moderator(moderator.id, now())
    except ApiError as error:
        raise click.UsageError(error.message) from None
    click.echo(f"Moderator {name!r} removed; their sessions and API tokens have ended.")


@click.command("tokens")
@with_appcontext
@click.argument("name")
def list_tokens(name: str) -> None:
    """List NAME's API tokens: id, label, created, last used, expires (never the secret)."""
    moderator = _moderator(name)
    tokens = moderators.tokens_of(moderator.id)
    if not tokens:
        click.echo(f"{name!r} has no API tokens; make one with `flask --app app create-token {name}`.")
        return
    moment = now()
    rows = [("ID", "LABEL", "CREATED", "LAST USED", "EXPIRES")]
    rows += [(str(t.id), t.label or "-", timestamp(t.created_at), _when(t.last_used_at),
              _when(t.expires_at) + (" (expired)" if t.expires_at and t.expires_at <= moment else ""))
             for t in tokens]
    _table(rows)


@click.command("revoke-token")
@with_appcontext
@click.argument("token_id", metavar="ID", type=click.IntRange(1))
def revoke_token(token_id: int) -> None:
    """End API token ID at once (the ids are in `tokens NAME`)."""
    try:
        moderators.revoke_token(token_id, now())
    except ApiError as error:
        raise click.UsageError(f"{error.message} `flask --app app tokens NAME` lists a moderator's.") from None
    click.echo(f"Token {token_id} revoked; it no longer works.")


def _table(rows: Sequence[Sequence[str]]) -> None:
    """Print rows as columns padded to their widest cell."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


COMMANDS = (create_moderator, create_token, list_moderators, delete_moderator, list_tokens, revoke_token)
