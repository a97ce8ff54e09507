"""The moderators' log-in sessions, and the same-origin check on their pages.

A session is a signed cookie naming a secret whose hash is a row in `moderator_sessions`:
log-out deletes the row, a password change deletes them all, so an old cookie stops
working even if someone kept a copy. Views are wrapped in `login_required`.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_request_context, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from moderation.core import credentials
from moderation.core.credentials import ADMIN, PASSWORD_MAX, hash_password, password_fp, token_hash
from moderation.errors import ApiError
from moderation.shared import now
from moderation.store import moderators
from moderation.store.models import Moderator
from moderation.web.responses import wants_json


class LoggedOut(ApiError):
    """The moderators' script called after the session ended."""

    status, code, message = 401, "logged_out", "Your session has ended; please log in again."


class AdminsOnly(ApiError):
    """A moderator asked for what only an admin may see or do."""

    status, code, message = 403, "forbidden", "Only an admin may do that; ask one of the site's admins."


class CrossSite(ApiError):
    """A state-changing request whose Origin is another site."""

    status, code, message = 403, "cross_site", "This request came from another site, so it was refused."


SESSION_SECRET, LAST_SEEN = "login", "seen"
SEEN_EVERY = 60  # seconds: refresh the idle clock at most this often, not on every request


SESSION_PATH = "/moderate/"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, for the moderators' pages only, Secure over https.

    The cookie's path keeps browsers from sending it anywhere else, and public requests
    skip the session entirely: no signature to check on the hot path, no Vary: Cookie.
    """

    def open_session(self, app: Flask, request: Any) -> Any:
        """The moderator's session under /moderate/, a null session elsewhere."""
        if not request.path.startswith(SESSION_PATH):
            return self.null_session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when this request is https."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def authenticate(name: str, password: str) -> Moderator | None:
    """The moderator with this name and password, or None."""
    moderator = moderators.moderator_by_name(name) if name else None
    if len(password) > PASSWORD_MAX:
        return None
    if moderator is None:
        credentials.check_decoy(password)
        return None
    return moderator if credentials.check_password(moderator.password_hash, password) else None


def _begin(secret: str, now: datetime) -> None:
    """Start a fresh cookie session: nothing kept from before (so no fixation, new CSRF token)."""
    session.clear()
    session.permanent = True
    session[SESSION_SECRET] = secret
    session[LAST_SEEN] = int(now.timestamp())


def start_session(moderator: Moderator, now: datetime) -> None:
    """Log a moderator in on this browser."""
    secret = secrets.token_urlsafe(32)
    oldest = now - timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    moderators.open_session(token_hash(secret), moderator, password_fp(moderator.password_hash), now, oldest)
    _begin(secret, now)


def current_moderator(now: datetime) -> Moderator | None:
    """The logged-in moderator; None when the session ended, expired or never began."""
    secret, seen = session.get(SESSION_SECRET), session.get(LAST_SEEN)
    if not isinstance(secret, str) or not isinstance(seen, int):
        return None
    found = moderators.session_login(token_hash(secret))
    config = current_app.config
    if (found is None or found[1].password_fp != password_fp(found[0].password_hash)
            or now.timestamp() - seen > config["SESSION_IDLE_MINUTES"] * 60
            or now - found[1].created_at > timedelta(hours=config["SESSION_MAX_HOURS"])):
        session.clear()
        return None
    if now.timestamp() - seen >= SEEN_EVERY:
        session[LAST_SEEN] = int(now.timestamp())
    return found[0]


def end_session() -> None:
    """Log out this browser: its session row is deleted, so a copy of the cookie is worthless."""
    secret = session.get(SESSION_SECRET)
    if isinstance(secret, str):
        moderators.close_session(token_hash(secret))
    session.clear()


def change_password(moderator: Moderator, new_password: str, now: datetime, revoke_tokens: bool = False) -> int:
    """Set a new password, ending every other session (and every token, if asked); this browser
    stays logged in. How many tokens were revoked."""
    secret, new_hash = secrets.token_urlsafe(32), hash_password(new_password)
    revoked = moderators.change_password(moderator, new_hash, token_hash(secret), password_fp(new_hash), now,
                                         revoke_tokens)
    _begin(secret, now)
    return revoked


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let the view run only for a logged-in moderator (g.moderator); else off to log in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        moderator = current_moderator(now())
        if moderator is None:
            if wants_json():
                raise LoggedOut()
            back = request.full_path.rstrip("?") if request.method == "GET" else request.form.get("return_to")
            return redirect(url_for("login.form", next=back), 303)
        g.moderator = moderator
        return view(*args, **kwargs)

    return wrapped


ADMIN_ONLY = "admin_only"  # the attribute admin_required sets on a view (a test lists them by it)


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let the view run only for a logged-in admin; 403 for a moderator, off to log in for nobody."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.moderator.role != ADMIN:
            raise AdminsOnly()
        return view(*args, **kwargs)

    setattr(wrapped, ADMIN_ONLY, True)
    return login_required(wrapped)  # functools.wraps carries the attribute out to the route's view


def same_origin_only() -> None:
    """Refuse a state-changing request whose Origin header names another site.

    This backs up the CSRF token. Browsers send Origin with every POST; a request without
    one (a script, an old browser) still needs the token.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
        raise CrossSite()
