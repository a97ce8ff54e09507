"""/moderate/login, /moderate/logout and /moderate/password: a moderator's own session.

Password guessing is slowed by the log-in throttle (web/moderate/throttle.py, under
MODERATION_LOGIN_RATELIMIT): every attempt is counted before its password is checked, by
address, by (name, address) and by name, and the right password from an address with no
recent failures always logs in. Wrong current passwords on the password page count
against the address too. Every POST here needs the CSRF token, like the queue's.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from limits import RateLimitItem
from werkzeug.wrappers import Response as BaseResponse

from moderation.core.addresses import client_key
from moderation.core.credentials import check_new_password
from moderation.core.queue_query import plural, safe_return
from moderation.errors import ApiError, ValidationFailed
from moderation.shared import now, shared
from moderation.store import moderators
from moderation.web.moderate import sessions
from moderation.web.moderate.chrome import install
from moderation.web.moderate.throttle import TooMany, in_words, parse_limits

bp = install(Blueprint("login", __name__, url_prefix="/moderate"))

WRONG = "Wrong name or password."
TOO_MANY = "Too many failed log-ins; please wait {wait} before trying again."


@bp.get("/login")
def form() -> Any:
    """The log-in form, or straight on when already logged in."""
    target = safe_return(request.args.get("next"))
    if sessions.current_moderator(now()) is not None:
        return redirect(target, 303)
    return render_template("moderate/login.html", next=target, name="", error=None)


@bp.post("/login")
def login() -> Any:
    """Check name and password unless the throttle refuses first; on success start a session."""
    name, password = request.form.get("name", "").strip(), request.form.get("password", "")
    target = safe_return(request.form.get("next"))
    throttle = shared().login_throttle
    try:
        attempt = throttle.admit_log_in(_limits(), client_key(request.remote_addr), name)
    except TooMany as refusal:
        page = render_template("moderate/login.html", next=target, name=name,
                               error=TOO_MANY.format(wait=in_words(refusal.wait)))
        return page, 429, {"Retry-After": str(refusal.wait)}
    # No name holds a NUL (PostgreSQL cannot even compare one): such a name is simply wrong.
    moderator = sessions.authenticate("" if "\0" in name else name, password)
    if moderator is None:
        throttle.failed(attempt)
        return render_template("moderate/login.html", next=target, name=name, error=WRONG), 401
    throttle.succeeded(attempt)
    sessions.start_session(moderator, now())
    return redirect(target, 303)


@bp.post("/logout")
def logout() -> BaseResponse:
    """End this browser's session for good."""
    sessions.end_session()
    flash("You have logged out.")
    return redirect(url_for(".form"), 303)


@bp.get("/password")
@sessions.login_required
def password_form() -> str:
    """The form to change one's own password."""
    return render_template("moderate/password.html", errors={}, tokens=_live_tokens())


@bp.post("/password")
@sessions.login_required
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
    revoke = request.form.get("revoke_tokens") == "yes"
    if errors:
        return render_template("moderate/password.html", errors=errors, tokens=_live_tokens(), revoke=revoke), 422
    revoked = sessions.change_password(g.moderator, new, now(), revoke_tokens=revoke)
    flash("Your password is changed. Any other sessions you had have ended"
          + (f", and your {plural(revoked, 'API token')} no longer work." if revoked else "."))
    return redirect(url_for("queue.index"), 303)


def _live_tokens() -> int:
    """How many of the logged-in moderator's API tokens still work (the password page offers to end them)."""
    return len(moderators.live_tokens(g.moderator.id, now()))


def _current_password_is_right(password: str) -> bool:
    """Check the logged-in moderator's password, counted against the address (429 when over)."""
    throttle = shared().login_throttle
    try:
        attempt = throttle.admit_check(_limits(), client_key(request.remote_addr))
    except TooMany as refusal:
        raise ApiError(TOO_MANY.format(wait=in_words(refusal.wait)), code="rate_limited", status=429,
                       headers={"Retry-After": str(refusal.wait)}) from None
    if sessions.authenticate(g.moderator.name, password) is None:
        throttle.failed(attempt)
        return False
    throttle.succeeded(attempt)
    return True


def _limits() -> tuple[RateLimitItem, ...]:
    return parse_limits(current_app.config["LOGIN_RATELIMIT"])
