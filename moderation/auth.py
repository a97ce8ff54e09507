"""Moderator credentials: slow password hashes, API tokens stored only as hashes, and
the web queue's log-in sessions and same-origin check.

Tokens are 256 random bits, so a fast SHA-256 is enough to store them; passwords are
people's, so they get scrypt. The token API's views are wrapped in `token_required`,
the web queue's in `login_required`. A session is a signed cookie naming a secret whose
hash is a row in `moderator_sessions`: log-out deletes the row, a password change
deletes them all, so an old cookie stops working even if someone kept a copy.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_request_context, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import check_password_hash, generate_password_hash

from . import queue_store, store
from .errors import ApiError, Unauthorized
from .models import Moderator
from .queue_rules import PASSWORD_MAX

TOKEN_PREFIX = "mod_"


def hash_password(password: str) -> str:
    """A salted scrypt hash of a password."""
    return generate_password_hash(password, method="scrypt")


def check_password(password_hash: str, password: str) -> bool:
    """True when password matches the stored hash."""
    return check_password_hash(password_hash, password)


def new_token() -> str:
    """A fresh random API token, as shown once to its owner."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """How a token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let the view run only with a valid `Authorization: Bearer` token; set g.moderator."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        moderator = None
        if scheme.lower() == "bearer" and token.strip():
            moderator = store.moderator_by_token(token_hash(token.strip()))
        if moderator is None:
            raise Unauthorized(headers={"WWW-Authenticate": 'Bearer realm="moderation"'})
        g.moderator = moderator
        return view(*args, **kwargs)

    return wrapped


class LoggedOut(ApiError):
    status, code, message = 401, "logged_out", "Your session has ended; please log in again."


class CrossSite(ApiError):
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


@functools.cache
def _decoy_hash() -> str:
    """A hash to check unknown names against, so they take as long as known ones."""
    return hash_password(secrets.token_urlsafe(16))


def authenticate(name: str, password: str) -> Moderator | None:
    """The moderator with this name and password, or None."""
    moderator = store.moderator_by_name(name) if name else None
    if len(password) > PASSWORD_MAX:
        return None
    if moderator is None:
        check_password(_decoy_hash(), password)
        return None
    return moderator if check_password(moderator.password_hash, password) else None


def password_fp(password_hash: str) -> str:
    """A digest of a password hash, kept with each session to notice a password change."""
    return hashlib.sha256(password_hash.encode()).hexdigest()


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
    queue_store.open_session(token_hash(secret), moderator, password_fp(moderator.password_hash), now, oldest)
    _begin(secret, now)


def current_moderator(now: datetime) -> Moderator | None:
    """The logged-in moderator; None when the session ended, expired or never began."""
    secret, seen = session.get(SESSION_SECRET), session.get(LAST_SEEN)
    if not isinstance(secret, str) or not isinstance(seen, int):
        return None
    found = queue_store.session_login(token_hash(secret))
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
        queue_store.close_session(token_hash(secret))
    session.clear()


def change_password(moderator: Moderator, new_password: str, now: datetime) -> None:
    """Set a new password, ending every other session; this browser stays logged in."""
    secret, new_hash = secrets.token_urlsafe(32), hash_password(new_password)
    queue_store.change_password(moderator, new_hash, token_hash(secret), password_fp(new_hash), now)
    _begin(secret, now)


def wants_json() -> bool:
    """True for the queue's script, which asks for JSON; False for plain forms and links."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let the view run only for a logged-in moderator (g.moderator); else off to log in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        moderator = current_moderator(datetime.now(timezone.utc))
        if moderator is None:
            if wants_json():
                raise LoggedOut()
            back = request.full_path.rstrip("?") if request.method == "GET" else request.form.get("return_to")
            return redirect(url_for("login.form", next=back), 303)
        g.moderator = moderator
        return view(*args, **kwargs)

    return wrapped


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
