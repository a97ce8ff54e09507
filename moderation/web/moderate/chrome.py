"""What every moderator page shares: private headers and the templates' helpers.

Every blueprint under /moderate/ installs these with `install`, so every page a
moderator sees is uncached, unframeable and runs no script but ours.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from moderation.core.erasure import is_erased
from moderation.core.queue_query import capped, plural, waited
from moderation.core.status import whole_number
from moderation.core.times import timestamp
from moderation.shared import now, shared
from moderation.store import queue as queue_store
from moderation.store.models import Comment
from moderation.web.moderate.sessions import same_origin_only

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    # Same-origin requests keep their Referer (the CSRF check wants it over https); links out lose it.
    "Referrer-Policy": "same-origin",
}


def private_headers(response: Response) -> Response:
    """Keep moderator pages out of caches and frames, and scripts other than ours out of them."""
    response.headers.update(PRIVATE_HEADERS)
    return response


def email_of(comment: Comment) -> str:
    """A comment's email address, opened for a moderator's eyes only ("(erased)" once its author's data was)."""
    if is_erased(comment.email_key_id):
        return "(erased)"
    email = shared().vault.open_or_none(comment.email_sealed, comment.email_key_id)
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
    return {"email_of": email_of, "erased": lambda comment: is_erased(comment.email_key_id),
            "waited": lambda since: waited(since, moment), "timestamp": timestamp, "capped": capped,
            "plural": plural, "pending_count": queue_store.pending_count, "static_url": static_url,
            "pending_total": None}


def back_to_comment(back: str) -> str:
    """Where a form goes back to, at the comment the request names in `next`, if it names one."""
    focus = whole_number(request.args.get("next"))
    return back + (f"#c-{focus}" if focus else "")


def install(bp: Blueprint) -> Blueprint:
    """Give a moderators' blueprint the same-origin check, the private headers and the helpers."""
    bp.before_request(same_origin_only)
    bp.after_request(private_headers)
    bp.context_processor(template_helpers)
    return bp
