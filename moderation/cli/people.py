"""`flask --app app person …`: what the service holds about one reader, for their GDPR requests."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from moderation.core.submissions import normalize_email
from moderation.shared import now, shared
from moderation.store import people

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


COMMANDS = (person_cli,)
