"""Moderator credentials: slow password hashes, API tokens stored only as hashes.

Tokens are 256 random bits, so a fast SHA-256 is enough to store them; passwords are
people's, so they get scrypt. The token API's views are wrapped in `token_required`.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from flask import g, request
from werkzeug.security import check_password_hash, generate_password_hash

from . import store
from .errors import Unauthorized

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
