"""`flask --app app person …`: what the service holds about one reader, for their GDPR requests."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from moderation.core.submissions import normalize_email
from moderation.shared import now, shared
from moderation.store import erasure, people

person_cli = AppGroup("person", help="Personal data of one reader, found by their email address.")


def _address(email: str) -> str:
    """The typed address as the service stored it, or a usage error saying what is wrong."""
    try:
        return normalize_email(email)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from None


@person_cli.command("export")
@click.argument("email")
def export(email: str) -> None:
    """Print, as one JSON document, everything stored about EMAIL: comments and blocks."""
    address = _address(email)
    document = people.export(address, shared().vault.digests(address), now())
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@person_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Erase without asking first.")
@click.option("--keep-text", is_flag=True,
              help="Keep the comments and their text, shown as by Anonymous, instead of deleting them.")
def erase(email: str, yes: bool, keep_text: bool) -> None:
    """Erase everything stored about EMAIL (GDPR article 17): its comments, its blocks, its mentions
    in the audit log. A comment others reply to stays, as by Anonymous with its text erased."""
    address = _address(email)
    digests = shared().vault.digests(address)
    found = erasure.plan(digests, keep_text)
    if found.anything and not yes:
        click.echo(f"Stored about this address: {found.stored()}.")
        click.echo(f"Erasing it means: {found.describe()}.")
        click.confirm("Erase it? This cannot be undone", abort=True)
    done = erasure.erase(address, digests, keep_text, now())
    if not done.anything:
        click.echo("Nothing is stored about this address; nothing was erased.")
        return
    click.echo(f"Erased: {done.describe()}.")
    if done.blocks:
        click.echo("The address is no longer blocked. To block it again: flask --app app blocks add email ADDRESS")


COMMANDS = (person_cli,)
