"""Turns a submission into a stored comment: validate → gather signals → decide → store.

Both ways in — the JSON API and the plain HTML form — call `accept`, so a comment is
checked, rendered, decided and kept the same way whichever door it came through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from flask import current_app

from . import antibot, policy, sanitize, spamcheck, store
from .errors import ApiError, CommentsClosed, Duplicate
from .models import Comment, Status
from .privacy import EmailVault
from .rules_store import current_rules
from .submissions import Submission, is_article_id, parse_submission


class InvalidArticleId(ApiError):
    status, code = 400, "invalid_article_id"
    message = "An article id is 1–128 letters, digits and . _ ~ -, starting with a letter or digit."


@dataclass(frozen=True)
class Accepted:
    """A stored comment and the commenter key its author should keep."""

    comment: Comment
    commenter_key: str


def check_article_id(article_id: str) -> str:
    """Return the article id, or raise 400 invalid_article_id."""
    if not is_article_id(article_id):
        raise InvalidArticleId()
    return article_id


def vault() -> EmailVault:
    """The current app's email vault."""
    return current_app.extensions["moderation.vault"]


def accept(article_id: str, data: Mapping[str, object], ip: str | None, now: datetime,
           user_agent: str = "") -> Accepted:
    """Validate, decide and store a submission; raise the contract's error when refused."""
    check_article_id(article_id)
    submission = parse_submission(data)
    supplied_key = antibot.commenter_key_from(data.get("commenter_key"))
    key = supplied_key or antibot.new_commenter_key()
    digest = vault().digest(submission.email)
    html = sanitize.render(submission.body)
    context = store.submission_context(article_id, digest, supplied_key and antibot.commenter_key_hash(key))
    config = current_app.config
    if policy.comments_closed(context.closed, context.first_comment_at, now, config["CLOSE_AFTER_DAYS"]):
        raise CommentsClosed()
    form_token, form_age = antibot.read_form_token(config["SECRET_KEY"], data.get("form_token"), now)
    signals = policy.Signals(submission, html, ip, digest, context.returning_author, form_token, form_age)
    decision = _decide(signals, context.premoderation, user_agent)
    sealed, key_id = vault().seal(submission.email)
    comment = Comment(
        article_id=article_id, parent_id=submission.parent_id, status=decision.status, reason=decision.reason,
        author_name=submission.name, author_website=submission.website,
        email_sealed=sealed, email_key_id=key_id, email_digest=digest, avatar=vault().avatar(submission.email),
        body_text=submission.body, body_html=html,
        body_digest=hashlib.sha256(submission.body.encode()).hexdigest(),
        ip=ip, commenter_key_hash=antibot.commenter_key_hash(key), created_at=now, updated_at=now,
    )
    return Accepted(_store(comment, submission), key)


def _decide(signals: policy.Signals, article_premoderation: str | None, user_agent: str) -> policy.Decision:
    """Local rules first; the external check only for what they would not call spam."""
    config = current_app.config
    settings = policy.PolicyConfig(
        premoderation=policy.Premoderation(article_premoderation or config["PREMODERATION"]),
        link_limit=config["LINK_LIMIT"], min_form_seconds=config["MIN_FORM_SECONDS"])
    rules = current_rules()
    decision = policy.decide(signals, rules, settings)
    if decision.status == Status.SPAM or not config["SPAM_CHECK_URL"]:
        return decision
    verdict = spamcheck.check(config["SPAM_CHECK_URL"], config["SPAM_CHECK_TIMEOUT"], signals.submission,
                              signals.ip, user_agent, site=signals.submission.article_url or "")
    return policy.decide(replace(signals, external=verdict), rules, settings)


def _store(comment: Comment, submission: Submission) -> Comment:
    try:
        return store.add_comment(comment, submission.article_title, submission.article_url)
    except Duplicate:
        if not submission.honeypot:
            raise
        # A bot learns nothing: its resubmission is "accepted" like the first one.
        comment.id = store.existing_duplicate(comment.article_id, comment.email_digest, comment.body_digest)
        return comment
