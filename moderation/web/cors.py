"""CORS: only MODERATION_ALLOWED_ORIGINS may call the public API from a browser.

The public routes — an article's comments, the counts, the form token and a comment's
reports — answer allowed origins, preflight included. The moderators' token API and every
other route get no CORS headers at all, so no web page can use a visitor's browser to reach them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import cast

from flask import Flask, Response, request
from flask_cors import CORS

from moderation.core.origins import normalized_origins

PUBLIC_API = re.compile(r"/api/v1/(?:articles/.+/comments|counts|form-token|comments/[^/]+/reports)\Z")
PREFLIGHT_MAX_AGE = 7200  # Chromium's ceiling; Firefox allows a day


def init_app(app: Flask) -> None:
    """Answer the configured origins on the public API routes, and nothing else anywhere."""
    app.after_request(_vary_by_origin)  # registered first, so it runs after flask-cors
    # Exact, anchored patterns: flask-cors would read an origin holding `[` (IPv6) or `?`
    # as a regular expression.
    allowed = [re.compile(re.escape(origin) + r"\Z", re.IGNORECASE)
               for origin in sorted(normalized_origins(app.config["ALLOWED_ORIGINS"]))]
    hooks = app.after_request_funcs.setdefault(None, [])
    before = list(hooks)
    # flask-cors matches compiled patterns as resource keys too (core.parse_resources); types-Flask-Cors says str.
    CORS(app, resources={PUBLIC_API: {  # type: ignore[dict-item]
        "origins": allowed,
        "methods": ["GET", "HEAD", "POST"],
        "allow_headers": ["Content-Type"],
        "expose_headers": ["Retry-After"],
        "max_age": PREFLIGHT_MAX_AGE,
        "supports_credentials": False,
    }})
    # CORS()'s own hook, which is sync (Flask types the list for async hooks too).
    hooks[:] = [hook if hook in before else _only_with_origin(cast(Callable[[Response], Response], hook))
                for hook in hooks]


def _vary_by_origin(response: Response) -> Response:
    """Every public API answer varies by Origin, including those without CORS headers:
    otherwise a shared cache could hand the header-less copy to an allowed site."""
    if PUBLIC_API.match(request.path):
        vary = response.headers.get("Vary")
        if not vary:
            response.headers["Vary"] = "Origin"
        elif "origin" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Origin"
    return response


def _only_with_origin(hook: Callable[[Response], Response]) -> Callable[[Response], Response]:
    """flask-cors's hook, run only for requests that carry an Origin (the others are not
    CORS requests, and it would add nothing to them): ~35 µs saved per plain request."""

    @functools.wraps(hook)
    def run(response: Response) -> Response:
        return hook(response) if "Origin" in request.headers else response

    return run
