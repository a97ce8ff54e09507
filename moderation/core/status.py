"""PURE: a comment's states and the moderators' actions that move it between them."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A comment's state, in the contract's words."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"
    DELETED = "deleted"  # never stored: the answer to a delete


# The states a comment can be found in, as the queue's tabs and the token API's filter list them.
QUEUE_STATUSES = (Status.PENDING, Status.APPROVED, Status.REJECTED, Status.SPAM)

# What each moderator action (on the web, in the token API) makes of a comment.
ACTIONS = {"approve": Status.APPROVED, "reject": Status.REJECTED, "spam": Status.SPAM, "delete": Status.DELETED}

def whole_number(text: str | None, maximum: int | None = None, minimum: int = 1) -> int | None:
    """The number written in text when it is ASCII digits from minimum to maximum, else None."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if minimum <= number and (maximum is None or number <= maximum) else None
