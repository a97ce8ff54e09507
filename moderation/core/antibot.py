"""Optional proofs a submission may carry: a signed form timestamp and a commenter key.

The form token says when, and for which article, the form was shown (bots post at once);
it serves one submission (its nonce is claimed when the comment is stored). The commenter key is
issued on a first submission and kept by the embed, so that when a moderator approves
a comment sent with it, the key proves its holder is that returning author. Neither
is ever required: without them a comment is simply held for a moderator.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

from moderation.core.policy import FormToken

COMMENTER_KEY = re.compile(r"ck_[A-Za-z0-9_-]{43}")
NONCE = re.compile(r"[A-Za-z0-9_-]{22}")
# Long enough to read an article and write a reply; a tab left open longer is simply held.
FORM_TOKEN_MAX_AGE = 12 * 3600


@dataclass(frozen=True)
class FormTokenReading:
    """What a submission's form token says: its state, the form's age, and its one-use nonce."""

    state: FormToken
    age_seconds: float | None = None
    nonce: str | None = None


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="moderation form token v2")


def issue_form_token(secret: str, now: datetime, article_id: str) -> str:
    """A signed token for one form on one article: when it was shown, and a one-use nonce."""
    return _serializer(secret).dumps([int(now.timestamp()), article_id, secrets.token_urlsafe(16)])


def read_form_token(secret: str, token: object, now: datetime, article_id: str) -> FormTokenReading:
    """Whether a form token is missing, invalid (forged, stale, or for another article) or valid."""
    if token in (None, ""):
        return FormTokenReading(FormToken.MISSING)
    if not isinstance(token, str) or len(token) > 400 or not token.isascii():
        return FormTokenReading(FormToken.INVALID)
    try:
        payload = _serializer(secret).loads(token)
    except BadSignature:
        return FormTokenReading(FormToken.INVALID)
    if not (isinstance(payload, list) and len(payload) == 3 and isinstance(payload[0], int)
            and payload[1] == article_id and isinstance(payload[2], str) and NONCE.fullmatch(payload[2])):
        return FormTokenReading(FormToken.INVALID)
    age = now.timestamp() - payload[0]
    if age < -60 or age > FORM_TOKEN_MAX_AGE:  # from the future, or stale
        return FormTokenReading(FormToken.INVALID)
    return FormTokenReading(FormToken.VALID, age, payload[2])


def new_commenter_key() -> str:
    """A fresh random commenter key (256 bits)."""
    return "ck_" + secrets.token_urlsafe(32)


def commenter_key_from(value: object) -> str | None:
    """The commenter key a submission carried, if it is well formed."""
    return value if isinstance(value, str) and COMMENTER_KEY.fullmatch(value) else None


def commenter_key_hash(key: str) -> str:
    """How a commenter key is stored: it has 256 random bits, so SHA-256 suffices."""
    return hashlib.sha256(key.encode()).hexdigest()
