"""/moderate/login, /moderate/logout and /moderate/password: a moderator's own session.

Failed log-ins are limited per client address and, separately, per moderator name
(MODERATION_LOGIN_RATELIMIT); wrong current passwords on the password page count
against the address too. Every POST here needs the CSRF token, like the queue's.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from . import auth
from .errors import ApiError, ValidationFailed, respond
from .queue_pages import now, private_headers, template_helpers
from .queue_rules import check_new_password, safe_return
from .ratelimit import client_key, limit_views

bp = Blueprint("login", __name__, url_prefix="/moderate")
bp.before_request(auth.same_origin_only)
bp.after_request(private_headers)
bp.context_processor(template_helpers)

WRONG = "Wrong name or password."


@bp.get("/login")
def form() -> Any:
    """The log-in form, or straight on when already logged in."""
    target = safe_return(request.args.get("next"))
    if auth.current_moderator(now()) is not None:
        return redirect(target, 303)
    return render_template("moderate/login.html", next=target, name="", error=None)


@bp.post("/login")
def login() -> Any:
    """Check name and password; on success start a session and go where the moderator was headed."""
    name, password = request.form.get("name", "").strip(), request.form.get("password", "")
    target = safe_return(request.form.get("next"))
    moderator = auth.authenticate(name, password)
    if moderator is None:
        return render_template("moderate/login.html", next=target, name=name, error=WRONG), 401
    auth.start_session(moderator, now())
    return redirect(target, 303)


@bp.post("/logout")
def logout() -> Response:
    """End this browser's session for good."""
    auth.end_session()
    flash("You have logged out.")
    return redirect(url_for(".form"), 303)


@bp.get("/password")
@auth.login_required
def password_form() -> str:
    """The form to change one's own password."""
    return render_template("moderate/password.html", errors={})


@bp.post("/password")
@auth.login_required
def change_password() -> Any:
    """Change one's own password; every other session of this moderator ends."""
    errors: dict[str, str] = {}
    if auth.authenticate(g.moderator.name, request.form.get("current_password", "")) is None:
        errors["current_password"] = "is not your current password"
    new = request.form.get("new_password", "")
    try:
        check_new_password(new, request.form.get("confirm", ""))
    except ValidationFailed as error:
        errors.update(error.fields or {})
    if errors:
        return render_template("moderate/password.html", errors=errors), 422
    auth.change_password(g.moderator, new, now())
    flash("Your password is changed. Any other sessions you had have ended.")
    return redirect(url_for("queue.index"), 303)


@bp.errorhandler(RateLimitExceeded)
def too_many(error: RateLimitExceeded) -> Response:
    """A log-in limit was hit: say so in words, with Retry-After."""
    return respond(ApiError(error.description, code="rate_limited", status=429))


def limit_log_ins(app: Flask, limiter: Limiter) -> None:
    """Count failed log-ins per client address and per name; failed password changes per address."""
    limit = {"limit_value": lambda: current_app.config["LOGIN_RATELIMIT"],
             "exempt_when": lambda: not current_app.config["LOGIN_RATELIMIT"],
             "error_message": "Too many failed log-ins; please wait a while before trying again.",
             "deduct_when": lambda response: response.status_code in (401, 422)}
    by_address = limiter.limit(key_func=lambda: "address:" + client_key(request.remote_addr), **limit)
    by_name = limiter.limit(key_func=lambda: "name:" + request.form.get("name", "").strip().casefold(), **limit)
    limit_views(app, lambda view: by_name(by_address(view)), ["login.login"])
    limit_views(app, by_address, ["login.change_password"])
