"""The demo blog's conversation: a few approved, threaded comments on its articles, written
into a new database once, so that a newcomer's first look shows what the README shows.

They go in through the importer, as any site's old comments would (sanitized, emails sealed,
each under a source id): seeding again adds nothing, and it never seeds a site that already
has a demo article (so a moderator who cleared the demo does not get it back).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from moderation.core.privacy import EmailVault
from moderation.store.database import session
from moderation.store.imports import Importer
from moderation.store.models import Article
from moderation.transfer.records import APPROVED, Item, Thread

@dataclass(frozen=True)
class DemoArticle:
    """One article of the demo site; its text lives in templates/pages/demo/<slug>.html."""

    slug: str
    title: str
    summary: str

    @property
    def article_id(self) -> str:
        """The article id its comments are kept under."""
        return f"demo-{self.slug}"


DEMO_ARTICLES = (
    DemoArticle("read-before-published", "Every comment here is read before it is published",
                "Why this demo holds new comments for a moderator, and what that looks like for you."),
    DemoArticle("paper-maps", "A weekend with paper maps",
                "Two days of walking without a phone screen, and what folding a map teaches you."),
    DemoArticle("garden-notebook", "Keeping a garden notebook",
                "Dates, weather and small failures: a notebook that makes next spring easier."),
)


# (key, reply to, name, website, hours before now, text)
CONVERSATIONS: dict[str, list[tuple[str, str | None, str, str, int, str]]] = {
    "read-before-published": [
        ("1", None, "Maren Holt", "https://maren.example", 50,
         "<p>I like knowing that a person reads every comment first. It makes me write more carefully, too.</p>"),
        ("2", "1", "Theo Brandt", "", 47,
         "<p>Same here. Does it take long before a comment shows up?</p>"),
        ("3", "2", "Maren Holt", "https://maren.example", 46,
         "<p>Mine was up the same evening. The page tells you it is <em>awaiting moderation</em> meanwhile.</p>"),
        ("4", None, "Priya Natarajan", "", 20,
         "<p>Would be nice to be told by email when it is published.</p>"),
        ("5", "4", "Jonas Weber", "https://jonas.example", 18,
         "<p>There is a box for that under the form: <strong>when my comment is published</strong>.</p>"),
    ],
    "paper-maps": [
        ("1", None, "Aiko Tanaka", "", 30,
         "<p>Folding the map back the right way is the real skill.</p>"),
        ("2", "1", "Sam Okafor", "https://sam.example", 26,
         "<p>Half the fun is getting it wrong. Ordnance Survey maps survive a lot of that.</p>"),
        ("3", None, "Lucía Romero", "", 8,
         "<p>We tried this in the Pyrenees last summer. Slower, but we remember every turn.</p>"),
    ],
    "garden-notebook": [
        ("1", None, "Henrik Larsen", "", 12,
         "<p>I note the first frost every year. Three years in, I finally plant at the right time.</p>"),
        ("2", "1", "Grace Mwangi", "", 6,
         "<p>Do you keep it by the door? Mine always ends up in a drawer.</p>"),
    ],
}


def demo_items(now: datetime) -> list[Item]:
    """The conversation as import items, replies after the comments they answer."""
    items = []
    titles = {article.slug: article.title for article in DEMO_ARTICLES}
    for slug, comments in CONVERSATIONS.items():
        thread = Thread(f"demo-{slug}", titles[slug], None)
        for key, parent, name, website, hours, body in comments:
            plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            email = plain.lower().replace(" ", ".") + "@example.org"  # example.org: mail to it goes nowhere
            items.append(Item(source_id=f"demo:{slug}#{key}", position=f"{slug} #{key}", thread=thread,
                              parent_source_id=f"demo:{slug}#{parent}" if parent else None, status=APPROVED,
                              name=name, email=email, website=website, ip="", created_at=now - timedelta(hours=hours),
                              body=body))
    return items


def seed(vault: EmailVault, now: datetime) -> int | None:
    """Write the demo conversation into a database that has no demo article yet; how many were added
    (None: the demo had been set up before, so nothing was written)."""
    existing = session().scalar(select(func.count()).select_from(Article).where(Article.id.like("demo-%")))
    if existing:
        return None
    importer = Importer(vault, now, label="demo")
    report = importer.feed(demo_items(now))
    importer.audit()
    return sum(report.states.values())
