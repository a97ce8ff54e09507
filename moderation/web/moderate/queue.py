"""/moderate/: the moderators' web queue, its actions on comments, and the audit log.

Server-rendered pages that work without JavaScript; `static/moderate.js` adds keyboard
shortcuts and in-place updates by posting the same forms with `Accept: application/json`.
Views parse (`core.queue_query`) → store (`store.queue`) → render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request

from moderation.core import sanitize
from moderation.core.queue_query import (
    AUDIT_ACTIONS,
    DONE,
    capped,
    parse_action,
    parse_audit,
    parse_ids,
    parse_query,
    plural,
    safe_return,
)
from moderation.core.reports import is_held_by_reports
from moderation.core.status import ACTIONS, QUEUE_STATUSES, Status
from moderation.core.submissions import parse_body
from moderation.errors import ValidationFailed
from moderation.shared import now, shared
from moderation.store import audit as audit_log
from moderation.store import moderators
from moderation.store import queue as queue_store
from moderation.store import reports as report_store
from moderation.web.moderate.chrome import back_to_comment, install
from moderation.web.moderate.sessions import login_required
from moderation.web.responses import wants_json

bp = install(Blueprint("queue", __name__, url_prefix="/moderate"))

AUDIT_PER_PAGE = 100


@bp.get("/")
@login_required
def index() -> str:
    """The queue: one state's comments, filtered and searched, one page at a time."""
    query = parse_query(request.args)
    digests = shared().vault.digests(query.search) if "@" in query.search else ()
    counts, found = queue_store.status_counts(query.article), queue_store.page(query, digests)
    return render_template("moderate/queue.html", query=query, page=found, tabs=QUEUE_STATUSES, counts=counts,
                           reports=report_store.open_reports(item.comment.id for item in found.items),
                           held_by_reports=is_held_by_reports,
                           select_all=request.args.get("select") == "all",
                           pending_total=None if query.article else counts[Status.PENDING])


@bp.post("/comments/<int:comment_id>/<action>")
@login_required
def act_one(comment_id: int, action: str) -> Any:
    """Approve, reject, mark as spam or delete one comment (delete asks first)."""
    return _act(parse_action(action), [comment_id])


@bp.post("/bulk")
@login_required
def act_many() -> Any:
    """Approve, reject, mark as spam or delete every selected comment (delete asks first)."""
    return _act(parse_action(request.form.get("action")), parse_ids(request.form.getlist("ids")))


def _act(action: str, ids: list[int]) -> Any:
    """Apply an action, then answer the script with JSON or the form with a redirect back."""
    back = safe_return(request.form.get("return_to"))
    if action == "delete" and request.form.get("confirm") != "yes":
        return render_template("moderate/confirm_delete.html", comments=queue_store.existing(ids), ids=ids,
                               return_to=back, action_url=request.full_path.rstrip("?"))
    done = queue_store.moderate_many(ids, ACTIONS[action], g.moderator, now())
    message = f"{DONE[action]} {plural(len(done), 'comment')}."
    if len(done) < len(ids):
        message += f" {plural(len(ids) - len(done), 'comment')} had already been deleted."
    if wants_json():
        return {"done": done, "status": str(ACTIONS[action]), "message": message,
                "pending": capped(queue_store.pending_count())}
    flash(message)
    return redirect(back_to_comment(back), 303)


@bp.get("/comments/<int:comment_id>/edit")
@login_required
def edit_form(comment_id: int) -> str:
    """The form to edit one comment's text."""
    found = queue_store.comment(comment_id)
    return render_template("moderate/edit.html", comment=found, body=found.body_text, errors={},
                           return_to=safe_return(request.args.get("return_to")))


@bp.post("/comments/<int:comment_id>/edit")
@login_required
def edit(comment_id: int) -> Any:
    """Save a comment's new text, sanitized again like a submission, and audited."""
    back = safe_return(request.form.get("return_to"))
    try:
        text = parse_body(request.form.get("body"))
    except ValidationFailed as error:
        return render_template("moderate/edit.html", comment=queue_store.comment(comment_id),
                               body=request.form.get("body", ""), errors=error.fields, return_to=back), 422
    changed = queue_store.edit_comment(comment_id, text, sanitize.render(text), g.moderator, now())
    flash(f"Comment {comment_id} edited." if changed else f"Comment {comment_id} was already so; nothing changed.")
    return redirect(f"{back}#c-{comment_id}", 303)


@bp.get("/audit")
@login_required
def audit() -> str:
    """Who did what to which comment and when, newest first, filtered."""
    query = parse_audit(request.args)
    entries, more = audit_log.audit_page(query.moderator, query.action, query.comment, query.before,
                                         AUDIT_PER_PAGE)
    return render_template("moderate/audit.html", query=query, entries=entries, more=more,
                           moderators=moderators.moderator_names(), actions=AUDIT_ACTIONS)
