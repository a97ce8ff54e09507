"""Turns a submission into a stored comment: validate → decide → sanitize → store.

Both ways in — the JSON API and the plain HTML form — call `accept`, so a comment is
checked, rendered and kept the same way whichever door it came through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from flask import current_app

from . import policy, sanitize, store
from .errors import ApiError, Duplicate
from .models import Comment, Status
from .privacy import EmailVault
from .submissions import is_article_id, parse_submission


class InvalidArticleId(ApiError):
    status, code = 400, "invalid_article_id"
    message = "An article id is 1–128 letters, digits and . _ ~ -, starting with a letter or digit."


def check_article_id(article_id: str) -> str:
    """Return the article id, or raise 400 invalid_article_id."""
    if not is_article_id(article_id):
        raise InvalidArticleId()
    return article_id


def vault() -> EmailVault:
    """The current app's email vault."""
    return current_app.extensions["moderation.vault"]


def accept(article_id: str, data: Mapping[str, object], ip: str | None, now: datetime) -> Comment:
    """Validate, decide and store a submission; raise the contract's error when refused."""
    check_article_id(article_id)
    submission = parse_submission(data)
    decision = policy.decide(submission)
    sealed, key_id = vault().seal(submission.email)
    comment = Comment(
        article_id=article_id, parent_id=submission.parent_id,
        status=decision.status, reason=decision.reason,
        author_name=submission.name, author_website=submission.website,
        email_sealed=sealed, email_key_id=key_id, email_digest=vault().digest(submission.email),
        avatar=vault().avatar(submission.email),
        body_text=submission.body, body_html=sanitize.render(submission.body),
        body_digest=hashlib.sha256(submission.body.encode()).hexdigest(),
        ip=ip, created_at=now, updated_at=now,
    )
    try:
        return store.add_comment(comment, submission.article_title, submission.article_url)
    except Duplicate:
        if decision.status != Status.SPAM or not submission.honeypot:
            raise
        # A bot learns nothing: its resubmission is "accepted" like the first one.
        comment.id = store.existing_duplicate(article_id, comment.email_digest, comment.body_digest)
        return comment
