"""PURE: the links of readers' mails: confirm an address, stop a thread or every mail.

Each names a consent row (and, to stop one thread, a comment), signed with the app's key
(itsdangerous) under a salt of its own, so a forged or altered link is refused before any
database work and one kind of link cannot pass for the other. A confirmation link expires;
a stop link never does, since an old mail's "unsubscribe" must keep working.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer

CONFIRM_SALT, STOP_SALT = "moderation.reader-confirm.v1", "moderation.reader-stop.v1"


@dataclass(frozen=True)
class Named:
    """What a reader's link names: a consent row, and the comment of one thread (None: every mail)."""

    consent_id: int
    comment_id: int | None = None


def confirm_token(secret_key: str, consent_id: int) -> str:
    """The token of a confirmation link."""
    return URLSafeTimedSerializer(secret_key, salt=CONFIRM_SALT).dumps(consent_id)


def read_confirm(secret_key: str, token: str, max_age_seconds: int) -> Named | None:
    """What a confirmation link names; None when forged, altered or older than max_age_seconds."""
    try:
        value = URLSafeTimedSerializer(secret_key, salt=CONFIRM_SALT).loads(token, max_age=max_age_seconds)
    except (BadData, UnicodeError):
        return None
    return Named(value) if _is_id(value) else None


def stop_token(secret_key: str, consent_id: int, comment_id: int | None) -> str:
    """The token of an unsubscribe link: one thread (the comment's), or everything (comment_id None)."""
    return URLSafeSerializer(secret_key, salt=STOP_SALT).dumps([consent_id, comment_id or 0])


def read_stop(secret_key: str, token: str) -> Named | None:
    """What an unsubscribe link names; None when forged or altered."""
    try:
        value = URLSafeSerializer(secret_key, salt=STOP_SALT).loads(token)
    except (BadData, UnicodeError):
        return None
    if not (isinstance(value, list) and len(value) == 2 and _is_id(value[0]) and _is_id(value[1], zero=True)):
        return None
    return Named(value[0], value[1] or None)


def _is_id(value: object, zero: bool = False) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and (0 if zero else 1) <= value < 2**31
