"""The command line for a site's rules: word lists, blocks, articles and purging."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from moderation.core.rule_input import (
    BLOCK_KINDS,
    DEFAULT,
    PREMODERATION_CHOICES,
    parse_article_url,
    parse_note,
    parse_title,
    parse_words,
)
from moderation.core.rule_input import LISTS as LIST_NAMES  # click.Choice below takes the name LISTS
from moderation.errors import NotFound
from moderation.shared import now
from moderation.store import articles, comments
from moderation.store import rules as rules_store

LISTS = click.Choice(LIST_NAMES)
KINDS = click.Choice(BLOCK_KINDS)

words_cli = AppGroup("words", help="The hold and spam word lists (matched in name, email, website, text and IP).")
blocks_cli = AppGroup("blocks", help="Blocked IP addresses or ranges and email addresses (their comments are spam).")


@words_cli.command("list")
@click.argument("kind", type=LISTS, required=False)
def words_list(kind: str | None) -> None:
    """Print the words on one list, or on both."""
    for entry in rules_store.words(kind):
        click.echo(f"{entry.list}\t{entry.word}")


@words_cli.command("add")
@click.argument("kind", type=LISTS)
@click.argument("words", nargs=-1, required=True)
def words_add(kind: str, words: tuple[str, ...]) -> None:
    """Put WORDS on the hold or spam list."""
    try:
        checked = parse_words(words)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="WORDS") from None
    click.echo(f"Added {rules_store.add_words(kind, checked, now())} word(s) to the {kind} list.")


@words_cli.command("remove")
@click.argument("kind", type=LISTS)
@click.argument("words", nargs=-1, required=True)
def words_remove(kind: str, words: tuple[str, ...]) -> None:
    """Take WORDS off the hold or spam list."""
    click.echo(f"Removed {rules_store.remove_words(kind, words, now())} word(s) from the {kind} list.")


def block_values(kind: str, value: str) -> tuple[str, ...]:
    """What a block stores: a normalized network, or the keyed digests of an email (current key first)."""
    try:
        return rules_store.block_values(kind, value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="VALUE") from None


@blocks_cli.command("list")
def blocks_list() -> None:
    """Print every block (emails show as their keyed digest)."""
    for block in rules_store.blocks():
        click.echo(f"{block.kind}\t{block.value}\t{block.note or ''}")


@blocks_cli.command("add")
@click.argument("kind", type=KINDS)
@click.argument("value")
@click.option("--note", help="Why, for the other moderators.")
def blocks_add(kind: str, value: str, note: str | None) -> None:
    """Block an IP address or CIDR range, or an email address."""
    stored = block_values(kind, value)[0]
    try:
        note = parse_note(note)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--note") from None
    added = rules_store.add_block(kind, stored, note, now())
    click.echo(f"Blocked {kind} {stored if kind == 'ip' else value}." if added else "Already blocked.")


@blocks_cli.command("remove")
@click.argument("kind", type=KINDS)
@click.argument("value")
def blocks_remove(kind: str, value: str) -> None:
    """Lift a block."""
    removed = rules_store.remove_block(kind, block_values(kind, value), now())
    click.echo("Block lifted." if removed else "There was no such block.")


@click.command("article")
@click.argument("article_id")
@click.option("--close/--reopen", default=None, help="Close or reopen the article to new comments.")
@click.option("--premoderation", type=click.Choice(PREMODERATION_CHOICES),
              help="This article's own pre-moderation; `default` follows MODERATION_PREMODERATION.")
@click.option("--title", help="The title moderators see; an empty string clears it.")
@click.option("--url", help="The article's address (http:// or https://); an empty string clears it.")
@with_appcontext
def article(article_id: str, close: bool | None, premoderation: str | None, title: str | None,
            url: str | None) -> None:
    """Close or reopen ARTICLE_ID, set its pre-moderation, or its title and URL."""
    # Every value is checked before anything changes: a refused --url leaves --close undone too.
    checked = {option: _checked(option, check, value) for option, check, value
               in (("--title", parse_title, title), ("--url", parse_article_url, url)) if value is not None}
    try:
        if close is not None:
            articles.set_closed(article_id, close, now())
        if premoderation is not None:
            articles.set_premoderation(article_id, None if premoderation == DEFAULT else premoderation, now())
        if checked:
            current = articles.article(article_id)
            articles.set_details(article_id, checked.get("--title", current.title),
                                    checked.get("--url", current.url), now())
    except NotFound as error:
        raise click.UsageError(error.message) from None
    click.echo(f"Article {article_id!r} updated.")


def _checked(option: str, check: Callable[[str], str | None], value: str) -> str | None:
    """A typed value as `check` accepts it; a usage error naming the option when it does not."""
    try:
        return check(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


@click.command("purge")
@click.option("--pending-days", type=int, help="Delete pending comments older than this (default: setting).")
@click.option("--spam-days", type=int, help="Delete spam older than this (default: setting).")
@click.option("--ip-days", type=int, help="Anonymize IP addresses older than this (default: setting).")
@with_appcontext
def purge(pending_days: int | None, spam_days: int | None, ip_days: int | None) -> None:
    """Delete old pending comments and spam, and anonymize old IP addresses (for cron)."""
    config = current_app.config
    result = comments.purge(
        now(),
        config["PURGE_PENDING_DAYS"] if pending_days is None else pending_days,
        config["PURGE_SPAM_DAYS"] if spam_days is None else spam_days,
        config["IP_RETENTION_DAYS"] if ip_days is None else ip_days,
    )
    click.echo(f"Deleted {result.pending} pending and {result.spam} spam comment(s); "
               f"anonymized {result.addresses} IP address(es).")


COMMANDS = (words_cli, blocks_cli, article, purge)
