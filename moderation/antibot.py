"""Optional proofs a submission may carry: a signed form timestamp and a commenter key.

The form token says when the form was shown (bots post at once); the commenter key is
issued on a first submission and kept by the embed, so that when a moderator approves
a comment sent with it, the key proves its holder is that returning author. Neither
is ever required: without them a comment is simply held for a moderator.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

from .policy import FormToken

COMMENTER_KEY = re.compile(r"ck_[A-Za-z0-9_-]{43}")
FORM_TOKEN_MAX_AGE = 7 * 24 * 3600  # a reader may leave a tab open for days, not for ever


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="moderation form token")


def issue_form_token(secret: str, now: datetime) -> str:
    """A signed token carrying the moment the form was shown."""
    return _serializer(secret).dumps(int(now.timestamp()))


def read_form_token(secret: str, token: object, now: datetime) -> tuple[FormToken, float | None]:
    """Whether a form token is missing, invalid or valid, and the form's age in seconds."""
    if token in (None, ""):
        return FormToken.MISSING, None
    if not isinstance(token, str) or len(token) > 200:
        return FormToken.INVALID, None
    try:
        shown_at = _serializer(secret).loads(token)
    except BadSignature:
        return FormToken.INVALID, None
    if not isinstance(shown_at, int):
        return FormToken.INVALID, None
    age = now.timestamp() - shown_at
    if age < -60 or age > FORM_TOKEN_MAX_AGE:  # from the future, or long stale
        return FormToken.INVALID, None
    return FormToken.VALID, age


def new_commenter_key() -> str:
    """A fresh random commenter key (256 bits)."""
    return "ck_" + secrets.token_urlsafe(32)


def commenter_key_from(value: object) -> str | None:
    """The commenter key a submission carried, if it is well formed."""
    return value if isinstance(value, str) and COMMENTER_KEY.fullmatch(value) else None


def commenter_key_hash(key: str) -> str:
    """How a commenter key is stored: it has 256 random bits, so SHA-256 suffices."""
    return hashlib.sha256(key.encode()).hexdigest()
