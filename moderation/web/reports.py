"""POST /api/v1/comments/{id}/reports: a reader reports a published comment.

Parse → validate (`core.reports`) → count against the client's limit → store (`store.reports`).
A report refused by its fields or its limit costs no database read about the comment; a
comment that is missing and one that is not published get the very same 404, so reports
tell nobody which pending or spam comments exist. A repeat by the same reader gets the same
202 and counts once. Exempt from CSRF (no cookies: a reader is known by address only).
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from moderation.core.reports import parse_report
from moderation.core.status import whole_number
from moderation.core.submissions import MAX_ID
from moderation.shared import now, shared
from moderation.store import counters
from moderation.store import reports as store
from moderation.web.api import json_object

bp = Blueprint("reports", __name__, url_prefix="/api/v1")

RECEIVED = {"status": "received", "message": "Thank you. A moderator will look at it."}


@bp.post("/comments/<comment_id>/reports")
def report_comment(comment_id: str) -> tuple[dict[str, str], int]:
    """Take a reader's report of a published comment: 202, the same for a repeat."""
    number = whole_number(comment_id, MAX_ID)
    report = parse_report(json_object("the report"))
    if number is None:
        raise store.NotPublished()
    counters.spend_report(request.remote_addr)  # from here on the report costs us: it counts
    store.add_report(number, shared().vault.reader(request.remote_addr), report, now(),
                     current_app.config["REPORT_THRESHOLD"])
    return RECEIVED, 202
