"""PURE: what happened to a comment, as the outbox keeps it and as each audience may see it.

An event's snapshot is taken in the transaction of the change. It holds the public comment,
its state, article and reason, and the text as written (for the moderators' notices); never
an email address, a digest of one or an IP address, so nothing private can leave through it.
"""

from __future__ import annotations

from typing import Any

from moderation.core.times import timestamp

CREATED, APPROVED, REJECTED, SPAM, DELETED, EDITED = (
    "comment.created", "comment.approved", "comment.rejected", "comment.spam", "comment.deleted", "comment.edited")
# A published comment taken back to the queue (pending) by readers' reports.
HELD = "comment.held"
EVENTS = (CREATED, APPROVED, REJECTED, SPAM, DELETED, EDITED, HELD)
# The events that put a comment in front of the moderators: a new one held, a published one held again.
HOLDS = (CREATED, HELD)
# The event each moderator action causes.
BY_STATE = {"approved": APPROVED, "rejected": REJECTED, "spam": SPAM, "deleted": DELETED}


def public_fields(comment: Any) -> dict[str, Any]:
    """A comment as readers see it (a Comment, or a row of its public columns)."""
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "author": {
            "name": comment.author_name,
            "website": comment.author_website,
            "avatar": f"/avatars/{comment.avatar}.svg",
        },
        "html": comment.body_html,
        "created_at": timestamp(comment.created_at),
    }


def snapshot(comment: Any, status: str) -> dict[str, Any]:
    """What the outbox keeps of a comment at the moment of an event (its new state given)."""
    return {"comment": public_fields(comment), "status": status, "article_id": comment.article_id,
            "reason": comment.reason, "text": comment.body_text}


def public_payload(event: str, event_id: int, taken: dict[str, Any], at: str) -> dict[str, Any]:
    """An event as a webhook receives it: the public comment, its state and article; nothing private."""
    return {"type": event, "id": event_id, "timestamp": at,
            "data": {"comment": taken["comment"], "status": taken["status"], "article_id": taken["article_id"]}}
