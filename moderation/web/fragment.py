"""GET /articles/<id>/comments.html: an article's approved comments as an HTML fragment.

For readers without JavaScript and for search engines: a site includes it server-side, or
in its <noscript>, inside the embed's target, and the embed replaces it when it runs. It
pages, revalidates and caches like the JSON list (`web.listing`), in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, render_template, request

from moderation.i18n import page_language
from moderation.shared import shared
from moderation.web import compression
from moderation.web.listing import Listing, read_listing
from moderation.web.responses import public_base

bp = Blueprint("fragment", __name__)

MAX_DEPTH = 5  # as the embed: deeper replies line up under the fifth level
# Viewed on its own the fragment is a page of this origin: it runs nothing and loads only avatars.
FRAGMENT_CSP = "default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"


@dataclass
class Node:
    """A comment of the page and the replies to it that are on the same page."""

    row: Any
    depth: int
    replies: list[Node] = field(default_factory=list)
    among: list[Node] = field(default_factory=list)  # the list it is shown in: its parent's replies, or the top


def threaded(rows: list[Any]) -> list[Node]:
    """The page's comments as trees; a reply whose parent is on another page stands at the top."""
    nodes: dict[int, Node] = {}
    tops: list[Node] = []
    for row in rows:
        parent = nodes.get(row.parent_id) if row.parent_id else None
        if parent is None:
            node = Node(row, 1, among=tops)
        elif parent.depth < MAX_DEPTH:
            node = Node(row, parent.depth + 1, among=parent.replies)
        else:  # as deep as threads go: after its parent, among its parent's siblings
            node = Node(row, MAX_DEPTH, among=parent.among)
        node.among.append(node)
        nodes[row.id] = node
    return tops


@bp.get("/articles/<article_id:article_id>/comments.html")
def comments_fragment(article_id: str) -> Response:
    """The fragment of one page of the article's approved comments, with ETag revalidation."""
    listing = read_listing(article_id)
    language = page_language()
    etag = f"{listing.public.etag}.{language}"  # one representation per language
    encoding = compression.chosen(request.headers.get("Accept-Encoding"))
    headers = {"Cache-Control": "public, no-cache", "ETag": compression.etag_value(etag, encoding),
               "Vary": "Accept-Language", "Content-Security-Policy": FRAGMENT_CSP}
    if request.if_none_match.contains_weak(etag):
        compression.add_headers(headers, None)
        return Response(status=304, headers=headers)
    pages, key = shared().pages, (listing.key("html"), language, public_base())
    body, sent = compression.encoded(pages, key, pages.get_or_render(key, lambda: _render(listing)), encoding)
    compression.add_headers(headers, sent)
    return Response(body, mimetype="text/html", headers=headers)


def _render(listing: Listing) -> bytes:
    count, rows, next_cursor = listing.rows()
    more = None
    if next_cursor:
        query = {"after": next_cursor, "limit": listing.limit, "order": listing.order}
        more = f"{public_base()}/articles/{listing.article_id}/comments.html?" + "&".join(
            f"{name}={value}" for name, value in query.items())
    return render_template("pages/comments_fragment.html", count=count, threads=threaded(rows),
                           closed=listing.public.closed, base=public_base(), more=more).encode()

