"""What every moderator page shares: private headers and the templates' helpers.

Both blueprints under /moderate/ (`queue` and `login`) install these, so every page a
moderator sees is uncached, unframeable and runs no script but ours.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask import Response, current_app, url_for

from . import queue_store
from .intake import vault
from .models import Comment
from .queue_rules import capped, plural, waited
from .serializers import timestamp

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    # Same-origin requests keep their Referer (the CSRF check wants it over https); links out lose it.
    "Referrer-Policy": "same-origin",
}


def now() -> datetime:
    """The current time, UTC."""
    return datetime.now(timezone.utc)


def private_headers(response: Response) -> Response:
    """Keep moderator pages out of caches and frames, and scripts other than ours out of them."""
    response.headers.update(PRIVATE_HEADERS)
    return response


def email_of(comment: Comment) -> str:
    """A comment's email address, opened for a moderator's eyes only."""
    email = vault().open_or_none(comment.email_sealed, comment.email_key_id)
    return "(cannot be opened: the key that sealed it is gone)" if email is None else email


@functools.cache
def _static_version(root: str, name: str) -> str:
    return hashlib.sha256((Path(root) / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """A static file's URL with a digest of its content, so browsers never run a stale one."""
    return url_for("static", filename=name, v=_static_version(current_app.static_folder or "", name))


def template_helpers() -> dict[str, Any]:
    """What the moderator templates use besides their own variables."""
    moment = now()
    return {"email_of": email_of, "waited": lambda since: waited(since, moment), "timestamp": timestamp,
            "capped": capped, "plural": plural, "pending_count": queue_store.pending_count, "static_url": static_url,
            "pending_total": None}
