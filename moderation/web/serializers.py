"""One serializer per audience, so private fields cannot leak by accident.

`public_comment` is the only shape that leaves through public routes: no email, no
digest of it, no IP, no raw text. `moderator_comment` adds those for moderators.
"""

from __future__ import annotations

from typing import Any

from moderation.core.events import public_fields
from moderation.core.privacy import EmailVault
from moderation.core.times import timestamp
from moderation.store.models import Comment


def public_comment(comment: Any) -> dict[str, Any]:
    """A comment as readers see it (takes a Comment or a row of the public columns)."""
    return public_fields(comment)


def moderator_comment(comment: Comment, vault: EmailVault, reports: int = 0) -> dict[str, Any]:
    """A comment as moderators see it: the public fields plus the private ones.

    `email` is null when the key that sealed it is no longer configured, or its author's data was erased;
    `reports` is how many readers' reports of it are open (not dismissed).
    """
    return {
        **public_comment(comment),
        "status": comment.status,
        "reason": comment.reason,
        "article_id": comment.article_id,
        "email": vault.open_or_none(comment.email_sealed, comment.email_key_id),
        "ip": comment.ip,
        "body": comment.body_text,
        "updated_at": timestamp(comment.updated_at),
        "reports": reports,
    }
