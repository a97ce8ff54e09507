"""Personal data: everything stored about one email address, found by its keyed digests.

An address is never stored in the clear: comments and blocks hold its keyed digest (under
the current secret key, or a retired one), so a person is found by every digest of what
they typed. What is found is written out in one document for them (GDPR article 15), with
whether they confirmed the address for notices and which notices they asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from moderation.core.queue_query import plural
from moderation.core.times import timestamp
from moderation.store import readers
from moderation.store.audit import audit_entry
from moderation.store.database import session, writing
from moderation.store.models import Article, Block, Comment, Moderator


def comments_of(digests: Sequence[str]) -> list[tuple[Comment, Article]]:
    """The comments written with an address (any of its digests), oldest first, with their articles."""
    query = (select(Comment, Article).join(Article, Article.id == Comment.article_id)
             .where(Comment.email_digest.in_(digests)).order_by(Comment.id))
    return [(comment, article) for comment, article in session().execute(query)]


def blocks_of(digests: Sequence[str]) -> list[Block]:
    """The blocks that name an address (by any of its digests)."""
    query = select(Block).where(Block.kind == "email", Block.value.in_(digests)).order_by(Block.id)
    return list(session().scalars(query))


def export(email: str, digests: Sequence[str], now: datetime, by: Moderator | None = None) -> dict[str, Any]:
    """Everything stored about an address, as one JSON-ready document; the export is audited
    (how much was found, never the address)."""
    comments, blocks = comments_of(digests), blocks_of(digests)
    document = {
        "email": email,
        "exported_at": timestamp(now),
        "comments": [_comment(comment, article) for comment, article in comments],
        "blocks": [{"kind": block.kind, "note": block.note, "created_at": timestamp(block.created_at)}
                   for block in blocks],
        "notices": _notices(digests),
    }
    with writing() as db:
        db.add(audit_entry(by, "person_exported", now,
                           detail=f"{plural(len(comments), 'comment')} and {plural(len(blocks), 'block')} exported"))
    return document


def _notices(digests: Sequence[str]) -> dict[str, Any]:
    """The address's double opt-in (None: it never asked for a notice) and its subscriptions."""
    kept = readers.of_person(digests)
    consent = kept["consent"]
    return {
        "consent": consent and {"asked_at": _when(consent.asked_at), "confirmed_at": _when(consent.confirmed_at),
                                "stopped_at": _when(consent.stopped_at)},
        "subscriptions": [{"comment_id": row.comment_id, "kind": row.kind, "created_at": timestamp(row.created_at)}
                          for row in kept["subscriptions"]],
    }


def _when(moment: datetime | None) -> str | None:
    return timestamp(moment) if moment is not None else None


def _comment(comment: Comment, article: Article) -> dict[str, Any]:
    """One comment as its author may read it back: what they sent and what became of it."""
    return {
        "id": comment.id,
        "article": {"id": article.id, "title": article.title, "url": article.url},
        "parent_id": comment.parent_id,
        "status": comment.status,
        "name": comment.author_name,
        "website": comment.author_website,
        "text": comment.body_text,
        "ip": comment.ip,  # None, or cut down to its network, once the retention period has passed
        "created_at": timestamp(comment.created_at),
        "updated_at": timestamp(comment.updated_at),
    }
