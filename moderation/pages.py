"""Public pages outside the JSON API: health check and the avatars the service draws.

The plain HTML comment form and embed.js join this module with the embed.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .avatars import identicon_svg, is_avatar_digest
from .database import session

bp = Blueprint("pages", __name__)

AVATAR_CACHE = "public, max-age=31536000, immutable"


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """200 when the database answers, 503 when it does not."""
    try:
        session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200


@bp.get("/avatars/<digest>.svg")
def avatar(digest: str) -> Response:
    """An identicon drawn from a keyed digest; the same digest always draws the same picture."""
    if not is_avatar_digest(digest):
        abort(404)
    return Response(identicon_svg(digest), mimetype="image/svg+xml",
                    headers={"Cache-Control": AVATAR_CACHE, "X-Content-Type-Options": "nosniff",
                             "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
