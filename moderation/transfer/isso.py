"""PURE: an Isso database (its SQLite file: the `comments` and `threads` tables) as records.

Opened read-only, never changed; rows are streamed in id order (so a parent, always older,
comes before its replies), and only the small `threads` table is held in memory.

| Isso (`comments` row)               | record                                                         |
|-------------------------------------|----------------------------------------------------------------|
| `id`                                | `source_id` "isso:<id>"; `position` "comments.id N"            |
| `tid` → `threads` row               | `thread` (below); a thread that is gone: Problem               |
| `parent`                            | `parent_source_id` "isso:<parent>"                             |
| `mode` 1 (accepted)                 | `status` APPROVED                                              |
| `mode` 2 (waiting for moderation)   | `status` PENDING                                               |
| `mode` 4 (deleted, kept for replies)| Skipped "deleted"                                              |
| `mode` other                        | Problem                                                        |
| `author`, `email`, `website`        | `name`, `email`, `website`, as they are (NULL → "")            |
| `remote_addr`                       | `ip`, as Isso keeps it: already cut to /24 (IPv4) or /48 (IPv6)|
| `created` (Unix time, a float)      | `created_at`, UTC; None when it is no number                   |
| `text` (Markdown)                   | `body` unrendered, `body_format` MARKDOWN                      |

A `threads` row gives Thread(article_id, title, url): the article id made by
`article_id_from` from `uri` (the page's path, or the page's `data-isso-id`; of an absolute
address, its path); `title` as it is; `url` the uri only when it is an absolute http(s)
address (a path alone is not a URL). A uri that makes no article id ("/") turns its comments
into Problems. Ignored: `modified`, `likes`, `dislikes`, `voters`, `notification` and the
`preferences` table. Isso keeps a deleted comment's email (it blanks text, author, website).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from moderation.transfer.records import (
    APPROVED,
    MARKDOWN,
    PENDING,
    Item,
    Problem,
    Record,
    Skipped,
    SourceError,
    Thread,
    article_id_from,
)

MODES: dict[object, str] = {1: APPROVED, 2: PENDING}
DELETED = 4
NEEDED = {  # the columns read, in every Isso database since 0.10
    "comments": {"id", "tid", "parent", "created", "mode", "remote_addr", "text", "author", "email", "website"},
    "threads": {"id", "uri", "title"},
}
COMMENTS = ("SELECT id, tid, parent, created, mode, remote_addr, text, author, email, website"
            " FROM comments ORDER BY id")


def parse(path: str | os.PathLike[str]) -> Iterator[Record]:
    """Every comment of an Isso database, in id order, as an Item, Skipped or Problem; SourceError if unreadable."""
    connection = _open(Path(path))
    try:
        threads = {row[0]: _thread(row[1], row[2]) for row in _rows(connection, "SELECT id, uri, title FROM threads")}
        for row in _rows(connection, COMMENTS):
            yield _comment(row, threads)
    finally:
        connection.close()


def _open(path: Path) -> sqlite3.Connection:
    """A read-only connection to an Isso database; SourceError when the file is not one."""
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty, not an Isso database")
    try:  # mode=ro: nothing is written, not even a journal; the URI quotes any "?" or "#" in the path
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        tables = {name: {column[1] for column in connection.execute(f"PRAGMA table_info({name})")}
                  for name in NEEDED}
    except sqlite3.DatabaseError as error:
        raise SourceError(f"{path}: not an Isso database, since SQLite cannot read it ({error})") from None
    missing = [name for name, columns in tables.items() if not columns] + [
        f"{name}.{column}" for name, columns in tables.items() if columns for column in sorted(NEEDED[name] - columns)]
    if missing:
        connection.close()
        raise SourceError(f"{path}: an SQLite database, but not Isso's: it has no {', '.join(missing)}")
    return connection


def _rows(connection: sqlite3.Connection, query: str) -> Iterator[tuple[object, ...]]:
    """The query's rows, one at a time; a damaged database is a SourceError."""
    try:
        yield from connection.execute(query)
    except sqlite3.DatabaseError as error:
        raise SourceError(f"the Isso database cannot be read: {error}") from None


def _thread(uri: object, title: object) -> Thread | str:
    """A threads row as the Thread its comments belong to, or the reason they cannot be imported."""
    uri = uri if isinstance(uri, str) else ""
    address = urlsplit(uri)
    url = uri if address.scheme in ("http", "https") and address.netloc else None
    article_id = article_id_from(address.path if url else uri)
    if article_id is None:
        return f"its thread's uri {uri!r} makes no article id"
    return Thread(article_id, (title.strip() or None) if isinstance(title, str) else None, url)


def created_at(value: object) -> datetime | None:
    """Isso's `created` (seconds since 1970, a float) as an aware UTC datetime; None if it is no time."""
    if not isinstance(value, (int, float, str)):
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):  # "yesterday", NaN, a year past 9999
        return None


def _comment(row: tuple[object, ...], threads: dict[object, Thread | str]) -> Record:
    """One comments row as a record."""
    number, tid, parent, created, mode, remote_addr, text, author, email, website = row
    source_id, position = f"isso:{number}", f"comments.id {number}"
    if mode == DELETED:
        return Skipped(source_id, position, "deleted")
    if mode not in MODES:
        return Problem(position, f"mode {mode!r} is none Isso writes (1 accepted, 2 waiting, 4 deleted)")
    thread = threads.get(tid)
    if thread is None:
        return Problem(position, f"its thread (threads.id {tid}) is not in the database")
    if isinstance(thread, str):
        return Problem(position, thread)
    return Item(source_id=source_id, position=position, thread=thread,
                parent_source_id=f"isso:{parent}" if parent else None, status=MODES[mode],
                name=_text(author), email=_text(email), website=_text(website), ip=_text(remote_addr),
                created_at=created_at(created), body=_text(text), body_format=MARKDOWN)


def _text(value: object) -> str:
    """A text column as a str: NULL is ""."""
    return value if isinstance(value, str) else "" if value is None else str(value)
