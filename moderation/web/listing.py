"""An article's public list as both of its representations serve it, the JSON API and the
HTML fragment: its query (order, limit, cursor), the article's version and closed state,
a page of rows and the cursor of the next. Sharing it, the two page and revalidate alike:
a cursor of one works in the other, and both carry the same ETag.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from moderation.core.status import whole_number
from moderation.errors import ApiError, ValidationFailed
from moderation.intake import check_article_id
from moderation.store import comments, threads
from moderation.store.versions import Public, public_version
from moderation.web.fastpath import KNOWN_VERSION, page_key

ORDERS = ("oldest", "newest")
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class InvalidCursor(ApiError):
    """An `after` cursor this service did not issue, or issued for another list."""

    status, code, message = 400, "invalid_cursor", "The `after` cursor was not issued by this service."


def read_limit() -> int:
    """The `limit` query parameter: 1 to 200, 50 when absent."""
    limit = whole_number(request.args.get("limit", str(DEFAULT_LIMIT)), MAX_LIMIT)
    if limit is None:
        raise ValidationFailed({"limit": f"must be a whole number from 1 to {MAX_LIMIT}"})
    return limit


def _cursors() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="moderation cursor")


def read_after(scope: str, valid: Callable[[Any], bool]) -> Any:
    """The position the `after` cursor holds, None without one; it must be this list's and valid."""
    cursor = request.args.get("after")
    if not cursor:
        return None
    try:
        cursor_scope, position = _cursors().loads(cursor)
    except (BadSignature, ValueError, TypeError):
        raise InvalidCursor() from None
    if cursor_scope != scope or not valid(position):
        raise InvalidCursor()
    return position


def split_page(rows: list[Any], limit: int, scope: str,
               position: Callable[[Any], Any] = lambda row: row.id) -> tuple[list[Any], str | None]:
    """Split off the look-ahead row; the cursor of the next page, if there is one."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], _cursors().dumps([scope, position(rows[limit - 1])])


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_position(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(map(_is_id, value))


def _scope(article_id: str, order: str) -> str:
    """What a cursor of this list is issued for (the oldest-first one is as it always was)."""
    return f"article:{article_id}" + ("" if order == "oldest" else f":{order}")


@dataclass(frozen=True)
class Listing:
    """One request for a page of an article's public list."""

    article_id: str
    order: str
    limit: int
    after: Any  # the cursor's position: an id (oldest first), [thread, id] (newest first), or None
    public: Public

    def key(self, kind: str) -> Hashable:
        """This page's key in the page cache, for one representation."""
        after = tuple(self.after) if isinstance(self.after, list) else self.after
        return page_key(kind, self.article_id, self.public, self.order, self.limit, after)

    def rows(self) -> tuple[int, list[Any], str | None]:
        """The approved count, this page's rows and the next page's cursor."""
        if not self.public.version:
            return 0, [], None
        if self.order == "oldest":
            count, found = comments.public_page(self.article_id, self.limit, self.after or 0)
            rows, cursor = split_page(list(found), self.limit, _scope(self.article_id, self.order))
        else:
            count, found = threads.newest_page(self.article_id, self.limit, self.after)
            rows, cursor = split_page(list(found), self.limit, _scope(self.article_id, self.order),
                                      lambda row: [row.thread, row.id])
        return count, rows, cursor


def read_listing(article_id: str) -> Listing:
    """The page this request asks for, every parameter checked; one version lookup at most."""
    check_article_id(article_id)
    order = request.args.get("order", "oldest")
    if order not in ORDERS:
        raise ValidationFailed({"order": "must be oldest or newest"})
    limit = read_limit()
    after = read_after(_scope(article_id, order), _is_id if order == "oldest" else _is_position)
    known = request.environ.get(KNOWN_VERSION)  # the shortcut's lookup, when it let this request through
    public = known[1] if known and known[0] == article_id else public_version(article_id)
    return Listing(article_id, order, limit, after, public)
