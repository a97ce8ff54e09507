"""PURE: how a moderator is told of held comments: an address, and a choice of each, digest or none.

`check_notices` reads the two fields of the forms and of `create-moderator --email`, and
refuses what is not an address or not a choice (every bad field named at once).
"""

from __future__ import annotations

from moderation.core.submissions import normalize_email
from moderation.errors import ValidationFailed

EACH, DIGEST, NONE = "each", "digest", "none"
CHOICES = (EACH, DIGEST, NONE)  # the default, once an address is set, is an email for each held comment
DIGEST_LIMIT = 20  # held comments a digest lists (with their links); it counts them all


def check_email(text: str) -> str | None:
    """An address normalized, or None for an empty field; ValueError when it is not one."""
    text = text.strip()
    return normalize_email(text) if text else None


def check_notices(email: str, choice: str) -> tuple[str | None, str]:
    """The address (None: no email) and the choice, checked; ValidationFailed naming each bad one."""
    errors: dict[str, str] = {}
    address: str | None = None
    try:
        address = check_email(email)
    except ValueError as error:
        errors["email"] = str(error)
    if choice not in CHOICES:
        errors["notify"] = f"must be one of {', '.join(CHOICES)}"
    if errors:
        raise ValidationFailed(errors, "The notices were not changed.")
    return address, choice
