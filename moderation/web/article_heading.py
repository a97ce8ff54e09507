"""The article a no-JavaScript page is about: its title for the page's heading, and a link back.

The thanks page and the form page shown again with its errors name the article the reader was
commenting on: the stored title (moderators may have corrected it), else the title the form sent;
and they link back to the stored address when it is http(s), else to the page the reader came from
when that is an allowed origin, else nowhere. Titles are text: the templates escape them.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderation.core.origins import origin_of
from moderation.core.submissions import TITLE_MAX, is_article_id
from moderation.store.database import session
from moderation.store.models import Article


@dataclass(frozen=True)
class Heading:
    """What a page shows of its article: a title and an address to go back to, each maybe unknown."""

    title: str | None
    back: str | None


def heading(article_id: str, sent_title: object = None, came_from: str | None = None) -> Heading:
    """The heading of a page about article_id; came_from is an already checked (allowed) address."""
    stored = session().get(Article, article_id) if is_article_id(article_id) else None
    title = (stored.title if stored is not None else None) or _plain(sent_title)
    url = stored.url if stored is not None else None
    back = url if url and origin_of(url) else came_from
    return Heading(title or None, back if back and origin_of(back) else None)


def _plain(title: object) -> str | None:
    """A title a form sent, as one line of at most TITLE_MAX characters: no control or format characters
    (so no direction override can reorder the page around it)."""
    if not isinstance(title, str):
        return None
    line = " ".join("".join(char if char.isprintable() else " " for char in title).split())
    return line[:TITLE_MAX] or None
