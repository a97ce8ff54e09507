"""A WSGI shortcut for the most frequent requests: an article's first page of comments.

Every page view of an article asks for its comments, and usually nothing changed: the
answer is a 304, or the page this worker already rendered, after one primary-key lookup
(~10 µs). Flask's request machinery costs several times that, so this middleware answers
exactly those cases itself — a GET of the first page of /api/v1/articles/<id>/comments
(in either order) whose If-None-Match matches the current version, or whose page is in this worker's cache
— with the same headers and body the Flask view sends (a test compares them). Everything
else, including any miss, query it does not recognise or error, goes to Flask unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.http import parse_etags

from moderation.core.origins import normalized_origins
from moderation.core.submissions import ARTICLE_ID
from moderation.shared import now, of
from moderation.web import compression
from moderation.web.responses import make_request_id

if TYPE_CHECKING:
    from moderation.store.versions import Public

LIST_PATH = re.compile(rf"/api/v1/articles/({ARTICLE_ID.pattern})/comments")
# The first page as the embed asks for it: a limit, an order, both (either way round) or neither.
_LIMIT, _ORDER = r"limit=(?P<limit{}>[1-9]|[1-9]\d|1\d\d|200)", r"order=(?P<order{}>oldest|newest)"
FIRST_PAGE = re.compile("|".join(["", _LIMIT.format(1), _ORDER.format(1), f"{_LIMIT.format(2)}&{_ORDER.format(2)}",
                                  f"{_ORDER.format(3)}&{_LIMIT.format(3)}"]))
CACHE_CONTROL = "public, no-cache"  # the same as api.list_comments sends
DEFAULT_LIMIT = 50  # the same as api.list_comments takes
KNOWN_VERSION = "moderation.public_version"  # environ key: (article id, Public) looked up here


def page_key(kind: str, article_id: str, public: Public, order: str, limit: int, after: Hashable) -> Hashable:
    """A rendered page's key in the page cache: a change of version or of the closed state is a miss."""
    return (kind, article_id, public.version, public.closed, order, limit, after)

StartResponse = Callable[..., Any]


class Revalidation:
    """Answers an article's first page before Flask: 304 when the client's copy is current,
    the cached page itself when this worker has it; anything else goes to Flask."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.shared = of(app)
        self.wsgi_app = wsgi_app
        self.allowed_origins = normalized_origins(app.config["ALLOWED_ORIGINS"])

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """A 304 or the cached page when this shortcut can give one; otherwise the Flask app's answer."""
        if environ["REQUEST_METHOD"] == "GET":
            answer = self._answer(environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return body
        return self.wsgi_app(environ, start_response)

    def _answer(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], list[bytes]] | None:
        match = LIST_PATH.fullmatch(environ.get("PATH_INFO", ""))
        first_page = FIRST_PAGE.fullmatch(environ.get("QUERY_STRING", ""))
        if match is None or first_page is None:
            return None
        try:
            public = self.shared.versions.current(match[1], now())
        except Exception:  # noqa: BLE001 -- Flask's path will answer, and log, properly
            return None
        environ[KNOWN_VERSION] = (match[1], public)  # on a miss, Flask need not look again
        encoding = compression.chosen(environ.get("HTTP_ACCEPT_ENCODING"))
        if "HTTP_IF_NONE_MATCH" in environ and parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(public.etag):
            return "304 NOT MODIFIED", self._headers(environ, public.etag, encoding, None), []
        found = {name[:-1]: value for name, value in first_page.groupdict().items() if value}
        limit, order = int(found.get("limit", DEFAULT_LIMIT)), found.get("order", "oldest")
        key = page_key("json", match[1], public, order, limit, None)
        page = self.shared.pages.get(key)
        if page is None:
            return None
        body, sent = compression.encoded(self.shared.pages, key, page, encoding)
        content = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        return "200 OK", content + self._headers(environ, public.etag, encoding, sent), [body]

    def _headers(self, environ: dict[str, Any], etag: str, encoding: str | None,
                 sent: str | None) -> list[tuple[str, str]]:
        """The headers api.list_comments sends with the page (a test compares them)."""
        vary = "Accept-Encoding, Origin"
        headers = [("Cache-Control", CACHE_CONTROL), ("ETag", compression.etag_value(etag, encoding)), ("Vary", vary)]
        if sent:
            headers.append(("Content-Encoding", sent))
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.lower() in self.allowed_origins:
            headers += [("Access-Control-Allow-Origin", origin), ("Access-Control-Expose-Headers", "Retry-After")]
        request_id = make_request_id(environ.get("HTTP_X_REQUEST_ID"))
        return headers + [("X-Request-ID", request_id), ("X-Content-Type-Options", "nosniff")]
