"""A WSGI shortcut for the most frequent request: "has this article's list changed?"

Every page view of an article revalidates its comments, and usually nothing changed:
the answer is a 304 after one primary-key lookup (~10 µs). Flask's request machinery
costs several times that, so this middleware answers exactly that case itself — a GET
of the first page of /api/v1/articles/<id>/comments whose If-None-Match matches the
current version — with the same headers the Flask view sends (a test compares them).
Everything else, including any miss, query it does not recognise or error, goes to
the Flask app unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.http import parse_etags

from .errors import make_request_id
from .origins import normalized_origins
from .submissions import ARTICLE_ID

LIST_PATH = re.compile(rf"/api/v1/articles/({ARTICLE_ID.pattern})/comments")
FIRST_PAGE = re.compile(r"(?:limit=(?:[1-9]|[1-9]\d|1\d\d|200))?")
CACHE_CONTROL = "public, no-cache"  # the same as api.list_comments sends

StartResponse = Callable[..., Any]


class Revalidation:
    """Answers a matching If-None-Match on an article's first page with 304, before Flask."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.allowed_origins = normalized_origins(app.config["ALLOWED_ORIGINS"])

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """A 304 when the client's copy is current; otherwise the Flask app's answer."""
        if environ["REQUEST_METHOD"] == "GET" and "HTTP_IF_NONE_MATCH" in environ:
            headers = self._not_modified(environ)
            if headers is not None:
                start_response("304 NOT MODIFIED", headers)
                return []
        return self.wsgi_app(environ, start_response)

    def _not_modified(self, environ: dict[str, Any]) -> list[tuple[str, str]] | None:
        match = LIST_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or not FIRST_PAGE.fullmatch(environ.get("QUERY_STRING", "")):
            return None
        try:
            _version, etag = self.app.extensions["moderation.versions"].current(match[1])
        except Exception:  # noqa: BLE001 -- Flask's path will answer, and log, properly
            return None
        if not parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(etag):
            return None
        headers = [("Cache-Control", CACHE_CONTROL), ("ETag", f'"{etag}"'), ("Vary", "Origin")]
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.lower() in self.allowed_origins:
            headers += [("Access-Control-Allow-Origin", origin), ("Access-Control-Expose-Headers", "Retry-After")]
        request_id = make_request_id(environ.get("HTTP_X_REQUEST_ID"))
        return headers + [("X-Request-ID", request_id), ("X-Content-Type-Options", "nosniff")]
