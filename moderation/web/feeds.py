"""/feeds: Atom 1.0 of the latest 50 approved comments, of one article and of the whole site.

Views read (`store.feeds`), decide the ETag, and leave the XML to the pure `core.atom`. An
article feed's ETag is made of the article's public version, as the JSON list's is, and what
else the feed shows (the article's title and URL, the service's address); the site feed's
of the very rows it lists (each comment, its article's version, title and URL), so any
approval, removal or edit anywhere that touches those 50 changes it, and nothing else does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, Response, current_app, request

from moderation.core import atom
from moderation.intake import check_article_id
from moderation.store import feeds
from moderation.store.versions import public_version
from moderation.web.responses import public_base

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

FEED_SIZE = 50
ATOM_TYPE = "application/atom+xml; charset=utf-8"
CACHE_CONTROL = "public, no-cache"  # as the JSON list: any cache may keep it, and revalidates by ETag
# A feed opened in a browser is a document of this origin: let it load and run nothing.
FEED_CSP = "default-src 'none'"



def _etag(*parts: Any) -> str:
    """An opaque keyed digest of what a feed is made of: it says nothing of versions or times."""
    key = hashlib.blake2b(current_app.config["SECRET_KEY"].encode(), digest_size=32, person=b"feed etag").digest()
    text = json.dumps(parts, default=str, ensure_ascii=False)  # unambiguous, whatever a title holds
    return hashlib.blake2b(text.encode(), key=key, digest_size=12).hexdigest()


def _answer(etag: str, build: Callable[[], bytes]) -> Response:
    """304 when the client's copy is current; else the feed build() makes, with the same headers."""
    headers = {"ETag": f'"{etag}"', "Cache-Control": CACHE_CONTROL, "Content-Security-Policy": FEED_CSP}
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers, content_type=ATOM_TYPE)
    return Response(build(), headers=headers, content_type=ATOM_TYPE)


def _entries(rows: Sequence[Any], base: str) -> list[atom.Entry]:
    """The rows as Atom entries: ids from the service's host, links to each comment on its article."""
    authority = atom.tag_authority(base)
    return [atom.Entry(
        id=atom.comment_id(authority, row.created_at, row.id),
        title=f"{row.author_name} on {row.title or row.article_id}",
        author=row.author_name, website=row.author_website,
        link=atom.permalink(row.url, f"{base}/api/v1/articles/{row.article_id}/comments", row.id),
        html=row.body_html, published=row.created_at, updated=row.updated_at) for row in rows]


@bp.get("/articles/<article_id:article_id>.atom")
def article_feed(article_id: str) -> Response:
    """The article's latest approved comments, newest first; an article with none: an empty feed."""
    check_article_id(article_id)
    base = public_base()
    public = public_version(article_id)
    title, url = feeds.article_details(article_id)
    self_url = f"{base}/feeds/articles/{article_id}.atom"

    def build() -> bytes:
        rows = feeds.latest(FEED_SIZE, article_id) if public.version else []
        return atom.document(atom.Feed(id=self_url, title=f"Comments on {title or article_id}", self_url=self_url,
                                       alternate=url, entries=_entries(rows, base)))

    return _answer(_etag("article", base, public.etag, title, url), build)


@bp.get("/comments.atom")
def site_feed() -> Response:
    """The latest approved comments on every article, newest first."""
    base = public_base()
    rows = feeds.latest(FEED_SIZE)
    self_url = f"{base}/feeds/comments.atom"
    made_of = [(row.id, row.article_id, row.version, row.updated_at, row.title, row.url) for row in rows]
    return _answer(_etag("site", base, made_of), lambda: atom.document(atom.Feed(
        id=self_url, title="Latest comments", self_url=self_url, alternate=None, entries=_entries(rows, base))))
