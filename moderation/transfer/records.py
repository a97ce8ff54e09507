"""PURE: what an import source yields, whatever its format: threads, comments, and what it skipped.

Each parser (`wxr`, `disqus`, `isso`) streams `Item`s and `Skipped`s in file order, and
`Problem`s for what it could not read; `store.imports` checks and writes them. A parser
never validates people's fields (names, emails, addresses): it passes them on as the source
has them, and the importer decides, the same way for every source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from moderation.core.submissions import is_article_id

APPROVED, PENDING, SPAM, REJECTED = "approved", "pending", "spam", "rejected"
HTML, MARKDOWN = "html", "markdown"  # how an item's body is written


class SourceError(Exception):
    """The file cannot be imported at all (not the format, not XML, hostile XML); its message says why."""


@dataclass(frozen=True)
class Thread:
    """An article as the source knows it."""

    article_id: str  # already an id the service accepts (see `article_id_from`)
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Item:
    """One comment to import."""

    source_id: str  # unique across every import ("wxr:<site>#<id>", "disqus:<id>", "isso:<id>")
    position: str  # where it is in the file, for reports ("line 120", "row 7")
    thread: Thread
    parent_source_id: str | None
    status: str  # APPROVED, PENDING, SPAM or REJECTED
    name: str
    email: str  # as the source has it: possibly empty or not an address
    website: str
    ip: str
    created_at: datetime | None  # aware UTC; None when the source's date could not be read
    body: str
    body_format: str = HTML


@dataclass(frozen=True)
class Skipped:
    """A comment deliberately left out (in the trash, a pingback…); counted by reason."""

    source_id: str | None
    position: str
    reason: str


@dataclass(frozen=True)
class Problem:
    """Something in the file that could not be read as a comment; reported with its position."""

    position: str
    reason: str


Record = Item | Skipped | Problem


_NOT_IN_ID = re.compile(r"[^A-Za-z0-9._~-]+")


def article_id_from(text: str) -> str | None:
    """An article id made from a source's own key (a post id, a slug, a page's path): what the
    contract allows is kept, every other run of characters becomes "-", cut to 128; None if empty."""
    found = _NOT_IN_ID.sub("-", text.strip().strip("/")).lstrip("._~-")[:128].rstrip("-")
    return found if is_article_id(found) else None
