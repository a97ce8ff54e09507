"""/moderate/login, /moderate/logout and /moderate/password: a moderator's own session.

Password guessing is slowed by the log-in throttle (moderation/throttle.py, under
MODERATION_LOGIN_RATELIMIT): every attempt is counted before its password is checked, by
address, by (name, address) and by name, and the right password from an address with no
recent failures always logs in. Wrong current passwords on the password page count
against the address too. Every POST here needs the CSRF token, like the queue's.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, flash, g, redirect, render_template, request, url_for
from limits import RateLimitItem
from limits.storage import Storage

from . import auth
from .errors import ApiError, ValidationFailed
from .queue_pages import now, private_headers, template_helpers
from .queue_rules import check_new_password, safe_return
from .ratelimit import client_key
from .throttle import LoginThrottle, TooMany, in_words, parse_limits, throttle_secret

bp = Blueprint("login", __name__, url_prefix="/moderate")
bp.before_request(auth.same_origin_only)
bp.after_request(private_headers)
bp.context_processor(template_helpers)

WRONG = "Wrong name or password."
TOO_MANY = "Too many failed log-ins; please wait {wait} before trying again."
THROTTLE = "moderation.login_throttle"


@bp.get("/login")
def form() -> Any:
    """The log-in form, or straight on when already logged in."""
    target = safe_return(request.args.get("next"))
    if auth.current_moderator(now()) is not None:
        return redirect(target, 303)
    return render_template("moderate/login.html", next=target, name="", error=None)


@bp.post("/login")
def login() -> Any:
    """Check name and password unless the throttle refuses first; on success start a session."""
    name, password = request.form.get("name", "").strip(), request.form.get("password", "")
    target = safe_return(request.form.get("next"))
    throttle = _throttle()
    try:
        attempt = throttle.admit_log_in(_limits(), client_key(request.remote_addr), name)
    except TooMany as refusal:
        page = render_template("moderate/login.html", next=target, name=name,
                               error=TOO_MANY.format(wait=in_words(refusal.wait)))
        return page, 429, {"Retry-After": str(refusal.wait)}
    # No name holds a NUL (PostgreSQL cannot even compare one): such a name is simply wrong.
    moderator = auth.authenticate("" if "\0" in name else name, password)
    if moderator is None:
        throttle.failed(attempt)
        return render_template("moderate/login.html", next=target, name=name, error=WRONG), 401
    throttle.succeeded(attempt)
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
    if not _current_password_is_right(request.form.get("current_password", "")):
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


def _current_password_is_right(password: str) -> bool:
    """Check the logged-in moderator's password, counted against the address (429 when over)."""
    throttle = _throttle()
    try:
        attempt = throttle.admit_check(_limits(), client_key(request.remote_addr))
    except TooMany as refusal:
        raise ApiError(TOO_MANY.format(wait=in_words(refusal.wait)), code="rate_limited", status=429,
                       headers={"Retry-After": str(refusal.wait)}) from None
    if auth.authenticate(g.moderator.name, password) is None:
        throttle.failed(attempt)
        return False
    throttle.succeeded(attempt)
    return True


def _throttle() -> LoginThrottle:
    return current_app.extensions[THROTTLE]  # type: ignore[no-any-return]


def _limits() -> tuple[RateLimitItem, ...]:
    return parse_limits(current_app.config["LOGIN_RATELIMIT"])


def limit_log_ins(app: Flask, counters: Storage) -> None:
    """Throttle log-ins and password checks, counting in the rate-limit counters (database or Redis)."""
    app.extensions[THROTTLE] = LoginThrottle(counters, throttle_secret(app.config["SECRET_KEY"]))
