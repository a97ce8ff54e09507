"""/moderate/comments/{id}/reports/dismiss: a moderator dismisses readers' reports of a comment.

A POST with the CSRF token like every moderator form; it marks the comment's open reports
dismissed (audited), so they stop counting towards the threshold. The rows stay: the same
readers cannot report the comment again. It decides nothing else — a comment the reports
held stays in the queue until a moderator approves it (which dismisses them too) or not.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request

from moderation.core.queue_query import capped, plural, safe_return
from moderation.shared import now
from moderation.store import queue as queue_store
from moderation.store import reports as store
from moderation.web.moderate.chrome import back_to_comment, install
from moderation.web.moderate.sessions import login_required
from moderation.web.responses import wants_json

bp = install(Blueprint("reports_queue", __name__, url_prefix="/moderate"))


@bp.post("/comments/<int:comment_id>/reports/dismiss")
@login_required
def dismiss(comment_id: int) -> Any:
    """Dismiss a comment's open reports, then go back to where the form was (or answer the script)."""
    count = store.dismiss(comment_id, g.moderator, now())
    message = (f"Dismissed {plural(count, 'report')} of comment {comment_id}." if count
               else f"Comment {comment_id} had no open reports; nothing changed.")
    if wants_json():
        return {"id": comment_id, "dismissed": count, "message": message,
                "pending": capped(queue_store.pending_count())}
    flash(message)
    return redirect(back_to_comment(safe_return(request.form.get("return_to"))), 303)
