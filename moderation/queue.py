"""/moderate/: the moderators' web queue, its actions, the articles page and the audit log.

Server-rendered pages that work without JavaScript; `static/moderate.js` adds keyboard
shortcuts and in-place updates by posting the same forms with `Accept: application/json`.
Views parse (`queue_rules`) → store (`queue_store`) → render; log-in lives in `login`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from . import login, queue_store, rules_pages, rules_store, sanitize
from .auth import SESSION_PATH, SessionInterface, login_required, same_origin_only, wants_json
from .errors import ApiError, NotFound, ValidationFailed, respond
from .intake import vault
from .models import Status
from .queue_pages import now, private_headers, template_helpers
from .queue_rules import (
    ACTIONS, AUDIT_ACTIONS, DONE, TABS, capped, parse_action, parse_audit, parse_ids, parse_page, parse_query,
    plural, safe_return,
)
from .rules_input import PREMODERATION_CHOICES
from .submissions import parse_body

bp = Blueprint("queue", __name__, url_prefix="/moderate")
bp.before_request(same_origin_only)
bp.after_request(private_headers)
bp.context_processor(template_helpers)

ARTICLES_PER_PAGE, AUDIT_PER_PAGE = 50, 100


@bp.get("/")
@login_required
def index() -> str:
    """The queue: one state's comments, filtered and searched, one page at a time."""
    query = parse_query(request.args)
    digests = vault().digests(query.search) if "@" in query.search else ()
    counts = queue_store.status_counts(query.article)
    return render_template("moderate/queue.html", query=query, page=queue_store.queue_page(query, digests),
                           tabs=TABS, counts=counts, select_all=request.args.get("select") == "all",
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
        return render_template("moderate/confirm_delete.html", comments=queue_store.comments(ids), ids=ids,
                               return_to=back, action_url=request.full_path.rstrip("?"))
    done = queue_store.moderate_many(ids, ACTIONS[action], g.moderator, now())
    message = f"{DONE[action]} {plural(len(done), 'comment')}."
    if len(done) < len(ids):
        message += f" {plural(len(ids) - len(done), 'comment')} had already been deleted."
    if wants_json():
        return {"done": done, "status": str(ACTIONS[action]), "message": message,
                "pending": capped(queue_store.pending_count())}
    flash(message)
    focus = request.args.get("next", "")
    return redirect(back + (f"#c-{focus}" if focus.isascii() and focus.isdigit() else ""), 303)


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


@bp.get("/articles")
@login_required
def articles() -> str:
    """Articles with their comment counts per state, to close or reopen them and set their pre-moderation."""
    number = parse_page(request.args.get("page"))
    summaries, more = queue_store.articles_page((number - 1) * ARTICLES_PER_PAGE, ARTICLES_PER_PAGE)
    return render_template("moderate/articles.html", summaries=summaries, number=number, more=more,
                           tabs=TABS, choices=PREMODERATION_CHOICES,
                           site_default=current_app.config["PREMODERATION"])


@bp.post("/articles/<article_id>/<change>")
@login_required
def close_article(article_id: str, change: str) -> Any:
    """Close an article to new comments, or reopen it."""
    if change not in ("close", "reopen"):
        raise NotFound()
    changed = rules_store.set_closed(article_id, change == "close", now(), by=g.moderator)
    state = "closed to new comments" if change == "close" else "open to new comments"
    flash(f"Article {article_id} is {'now' if changed else 'already'} {state}.")
    return redirect(safe_return(request.form.get("return_to") or url_for(".articles")), 303)


@bp.get("/audit")
@login_required
def audit() -> str:
    """Who did what to which comment and when, newest first, filtered."""
    query = parse_audit(request.args)
    entries, more = queue_store.audit_page(query.moderator, query.action, query.comment, query.before,
                                           AUDIT_PER_PAGE)
    return render_template("moderate/audit.html", query=query, entries=entries, more=more,
                           moderators=queue_store.moderator_names(), actions=AUDIT_ACTIONS)


def _csrf_failed(error: CSRFError) -> Response:
    return respond(ApiError(f"{error.description} The form may be stale or came from another site: reload "
                            "the page and try again.", code="csrf_failed", status=400))


def init_app(app: Flask) -> None:
    """Register the queue, rules and log-in pages with their session cookie and log-in limits."""
    app.config.update(SESSION_COOKIE_NAME="moderation_session", SESSION_COOKIE_PATH=SESSION_PATH,
                      SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", WTF_CSRF_TIME_LIMIT=None,
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_MAX_HOURS"]))
    app.session_interface = SessionInterface()
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_blueprint(login.bp)
    app.register_blueprint(bp)
    app.register_blueprint(rules_pages.bp)
    login.limit_log_ins(app, app.extensions["moderation.counters"])
