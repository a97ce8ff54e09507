"""PURE: moderators' credentials — names, passwords and API tokens — and how they are stored.

Tokens are 256 random bits, so a fast SHA-256 is enough to store them; passwords are
people's, so they get salted scrypt. Only hashes are ever stored.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from moderation.errors import ValidationFailed

TOKEN_PREFIX = "mod_"
# An admin manages the team, tokens, rules and personal data; a moderator works the queue and articles.
ADMIN, MODERATOR = "admin", "moderator"
ROLES = (ADMIN, MODERATOR)
LABEL_MAX = 100
EXPIRES_MAX_DAYS = 3650
PASSWORD_MIN, PASSWORD_MAX = 8, 1024
NAME_MAX = 64


def hash_password(password: str) -> str:
    """A salted scrypt hash of a password."""
    return generate_password_hash(password, method="scrypt")


def check_password(password_hash: str, password: str) -> bool:
    """True when password matches the stored hash."""
    return check_password_hash(password_hash, password)


@functools.cache
def _decoy_hash() -> str:
    """A hash to check unknown names against, so they take as long as known ones."""
    return hash_password(secrets.token_urlsafe(16))


def check_decoy(password: str) -> None:
    """Spend the time a real password check takes, for a name that does not exist."""
    check_password(_decoy_hash(), password)


def new_token() -> str:
    """A fresh random API token, as shown once to its owner."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """How a token (or a session's secret) is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def password_fp(password_hash: str) -> str:
    """A digest of a password hash, kept with each session to notice a password change."""
    return hashlib.sha256(password_hash.encode()).hexdigest()


def check_name(name: str) -> str:
    """A moderator's name, trimmed: 1–64 printable characters."""
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX or not name.isprintable():
        raise ValidationFailed({"name": f"must be 1–{NAME_MAX} printable characters"})
    return name


def check_label(label: str | None) -> str | None:
    """A token's label, trimmed: empty is none; at most 100 printable characters."""
    label = (label or "").strip()
    if len(label) > LABEL_MAX or not label.isprintable():
        raise ValidationFailed({"label": f"must be at most {LABEL_MAX} printable characters"})
    return label or None


def check_expires_in(raw: str | None) -> int | None:
    """A token's lifetime in whole days, 1–3650, as typed; empty is never."""
    raw = (raw or "").strip()
    if not raw:
        return None
    # ASCII digits only, and few of them: int() takes other scripts' digits, and chokes on thousands.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= EXPIRES_MAX_DAYS):
        raise ValidationFailed({"expires_in": f"must be a whole number of days from 1 to {EXPIRES_MAX_DAYS}, "
                                              "or empty for a token that does not expire"})
    return int(raw)


def check_new_token(label: str | None, expires_in: str | None) -> tuple[str | None, int | None]:
    """A new token's label and lifetime in days, as typed on a form; every bad field named at once."""
    errors: dict[str, str] = {}
    checked_label, days = None, None
    try:
        checked_label = check_label(label)
    except ValidationFailed as error:
        errors.update(error.fields or {})
    try:
        days = check_expires_in(expires_in)
    except ValidationFailed as error:
        errors.update(error.fields or {})
    if errors:
        raise ValidationFailed(errors, "The token was not created.")
    return checked_label, days


def check_new_password(new: str, confirm: str) -> str:
    """A new password that is long enough and typed the same twice."""
    errors: dict[str, str] = {}
    if len(new) < PASSWORD_MIN:
        errors["new_password"] = f"must be at least {PASSWORD_MIN} characters"
    elif len(new) > PASSWORD_MAX:
        errors["new_password"] = f"must be at most {PASSWORD_MAX} characters"
    elif new != confirm:
        errors["confirm"] = "must be the same as the new password"
    if errors:
        raise ValidationFailed(errors, "The new password was not changed.")
    return new


def check_new_moderator(name: str, role: str, password: str, confirm: str) -> tuple[str, str]:
    """A new moderator's trimmed name and role, and a password typed twice; every bad field named at once."""
    errors: dict[str, str] = {}
    try:
        name = check_name(name)
    except ValidationFailed as error:
        errors.update(error.fields or {})
    if role not in ROLES:
        errors["role"] = f"must be {' or '.join(ROLES)}"
    try:
        check_new_password(password, confirm)
    except ValidationFailed as error:
        errors.update(error.fields or {})
    if errors:
        raise ValidationFailed(errors, "The moderator was not created.")
    return name, role
