"""`flask --app app import …` and `export`: comments in from WordPress, Disqus or Isso; the site out and back.

Each import streams its file, shows a progress bar on a terminal (by bytes read, on standard
error), and ends with a summary: articles, comments by state, what was already there, what
was skipped and why, and each item it could not read with its position. `--dry-run` reads
and checks everything and writes nothing. A file that cannot be imported at all (not XML, not
that format, hostile XML) exits 2 with the reason; per-item problems do not stop the rest.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
from flask.cli import AppGroup, with_appcontext

from moderation.shared import now, shared
from moderation.store.dump import PARTS, write
from moderation.store.imports import Importer
from moderation.transfer.report import Report
from moderation.transfer import records
from moderation.transfer.records import SourceError

import_cli = AppGroup("import", help="Bring comments in: import wxr|disqus|isso FILE, or import json FILE.")

class Refused(click.ClickException):
    """A file that cannot be imported at all: its reason, and exit status 2 (bad input)."""

    exit_code = 2


DRY_RUN = click.option("--dry-run", is_flag=True, help="Read and check everything, report, and change nothing.")
JOBS = click.option("--jobs", type=click.IntRange(1, 64), default=None,
                    help="Processes that render the comments' text beside the import (default: one per core "
                         "for a file over 2 MB, else none).")
POOL_FROM_BYTES = 2_000_000
SHOWN_PROBLEMS = 20


class Progress:
    """A binary file that moves a progress bar as it is read (the parsers read it in chunks)."""

    def __init__(self, raw: IO[bytes], bar: Any) -> None:
        self.raw, self.bar = raw, bar

    def read(self, size: int = -1) -> bytes:
        """Read, and move the bar by what was read."""
        chunk = self.raw.read(size)
        self.bar.update(len(chunk))
        return chunk


@contextmanager
def _opened(path: str) -> Iterator[IO[bytes]]:
    """The file, read through a progress bar when standard error is a terminal."""
    with open(path, "rb") as raw:
        if not sys.stderr.isatty():
            yield raw
            return
        with click.progressbar(length=os.path.getsize(path), label="Importing", file=sys.stderr) as bar:
            yield Progress(raw, bar)  # type: ignore[misc]  # a file as far as the parsers read it


def _run(label: str, parse: Callable[[Any], Iterator[records.Record]], path: str, dry_run: bool, jobs: int | None,
         from_file: bool = True) -> None:
    """Import path with parse; print the summary; exit 2 for a file that cannot be imported."""
    if jobs is None:  # a small file is done before a pool of processes would have started
        jobs = (os.cpu_count() or 1) if os.path.getsize(path) > POOL_FROM_BYTES else 1
    importer = Importer(shared().vault, now(), dry_run=dry_run, label=label, workers=jobs)
    try:
        if from_file:
            with _opened(path) as source:
                report = importer.feed(parse(source))
        else:
            report = importer.feed(parse(path))
    except SourceError as error:
        raise Refused(str(error)) from None
    if not dry_run:
        importer.audit()
    _summary(report, dry_run)


def _summary(report: Report, dry_run: bool) -> None:
    """The end of an import, as its operator reads it."""
    would = "would be " if dry_run else ""
    states = ", ".join(f"{count:,} {state}" for state, count in sorted(report.states.items())) or "none"
    click.echo(("Dry run, nothing was changed. " if dry_run else "") +
               f"Comments {would}imported: {states}.")
    click.echo(f"Articles: {len(report.articles):,} ({report.new_articles:,} new).")
    if report.already:
        click.echo(f"Already imported before, left as they are: {report.already:,}.")
    if report.top_level:
        click.echo(f"Replies {would}kept at the top level (their parent was skipped or is missing): "
                   f"{report.top_level:,}.")
    if report.without_email:
        click.echo(f"Comments without a valid email address ({would}imported without one): {report.without_email:,}.")
    for reason, count in sorted(report.skipped.items()):
        click.echo(f"Skipped, {reason}: {count:,}.")
    if report.problem_count:
        click.echo(f"Not imported, could not be read: {report.problem_count:,}.")
        for problem in report.problems[:SHOWN_PROBLEMS]:
            click.echo(f"  {problem.position}: {problem.reason}")
        if report.problem_count > SHOWN_PROBLEMS:
            click.echo(f"  … and {report.problem_count - SHOWN_PROBLEMS:,} more.")


@import_cli.command("wxr")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@DRY_RUN
@click.option("--article-id", "key", type=click.Choice(["post_id", "slug"]), default="post_id", show_default=True,
              help="Which of a post's fields becomes the article id (what the embed's data-article holds).")
@click.option("--include-pings", is_flag=True, help="Import pingbacks and trackbacks too.")
@JOBS
def import_wxr(path: str, dry_run: bool, key: str, include_pings: bool, jobs: int | None) -> None:
    """Import the comments of a WordPress export (Tools → Export → All content, a WXR file)."""
    from moderation.transfer import wxr

    _run("WordPress", lambda source: wxr.parse(source, key, include_pings), path, dry_run, jobs)


@import_cli.command("disqus")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@DRY_RUN
@JOBS
def import_disqus(path: str, dry_run: bool, jobs: int | None) -> None:
    """Import the comments of a Disqus export (its XML file, or the .xml.gz Disqus mails)."""
    from moderation.transfer import disqus

    _run("Disqus", disqus.parse, path, dry_run, jobs)


@import_cli.command("isso")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@DRY_RUN
@JOBS
def import_isso(path: str, dry_run: bool, jobs: int | None) -> None:
    """Import the comments of an Isso database (its SQLite file, read only)."""
    from moderation.transfer import isso

    _run("Isso", isso.parse, path, dry_run, jobs, from_file=False)


@import_cli.command("json")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
def import_json(path: str) -> None:
    """Restore an export (`flask --app app export`) into this database: a new one, or this one again.
    Running it twice adds nothing the second time."""
    from moderation.store.restore import restore

    try:
        with open(path, "rb") as raw:
            document = json.load(raw)
        done = restore(document, shared().vault, now())
    except (ValueError, UnicodeDecodeError) as error:  # json's errors are ValueErrors
        raise Refused(f"This is not a JSON export: {error}") from None
    except SourceError as error:
        raise Refused(str(error)) from None
    written = ", ".join(f"{done.counts[part]:,} {part}" for part in PARTS)
    click.echo(f"Restored: {written}." + ("" if done.same_site else " (Into another site: new ids.)"))
    if sum(done.already.values()):
        click.echo("Already there, left as they are: " + ", ".join(
            f"{count:,} {part}" for part, count in done.already.items() if count) + ".")
    for problem in done.problems[:SHOWN_PROBLEMS]:
        click.echo(f"  not restored: {problem}")
    if len(done.problems) > SHOWN_PROBLEMS:
        click.echo(f"  … and {len(done.problems) - SHOWN_PROBLEMS:,} more.")


@click.command("export")
@click.argument("path", metavar="[FILE]", required=False, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export(path: str | None) -> None:
    """Write the whole site as one JSON document to FILE (or standard output): articles, comments
    with their authors' emails and IP addresses, rules, the audit log. It holds personal data."""
    click.echo("Note: the export holds personal data (emails and IP addresses). Keep it safe, and delete "
               "it when it has served.", err=True)
    if path is None:
        parts = write(sys.stdout, shared().vault, now())
    else:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # readable by its owner only
        with open(descriptor, "w", encoding="utf-8") as out:
            parts = write(out, shared().vault, now())
        click.echo(f"Wrote {path}: " + ", ".join(f"{parts[part]:,} {part}" for part in PARTS) + ".", err=True)


COMMANDS = (import_cli, export)
