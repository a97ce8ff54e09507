"""PURE: the one-click moderation links mailed to moderators: a random secret, signed.

A link names its secret, signed with the app's key (itsdangerous), so a forged or altered
link is refused before any database work; only the secret's SHA-256 is stored (as the
link row's id), so the database alone cannot rebuild a working link.
"""

from __future__ import annotations

import hashlib
import secrets

from itsdangerous import BadSignature, Signer

SALT = "moderation.action-link.v1"
ACTIONS = ("approve", "reject", "spam")  # what a link may do (never delete: it cannot be undone)


def new_secret() -> str:
    """A fresh link secret: 256 random bits."""
    return secrets.token_urlsafe(32)


def link_id(secret: str) -> str:
    """The stored id of a link: the SHA-256 of its secret, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def sign(secret_key: str, secret: str) -> str:
    """The link's secret with its signature, as it goes into the URL."""
    return Signer(secret_key, salt=SALT).sign(secret).decode()


def unsign(secret_key: str, signed: str) -> str | None:
    """The secret of a link signed with secret_key; None for a forged or altered one."""
    try:
        return Signer(secret_key, salt=SALT).unsign(signed).decode()
    except (BadSignature, UnicodeError):
        return None
