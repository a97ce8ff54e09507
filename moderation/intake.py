"""Turns a submission into a stored comment: cheap checks → count → decide → store.

Both ways in — the JSON API and the plain HTML form — call `accept`, so a comment is
checked, rendered, decided and kept the same way whichever door it came through. What
can refuse a submission cheaply (its fields, a closed article, a bad parent, a proven
duplicate) runs first; only then is it counted against the client's limit and given the
costly work (sanitizing, word lists, the paid external check).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app, request

from moderation import spamcheck
from moderation.core import antibot, policy, sanitize
from moderation.core.origins import origin_of
from moderation.core.status import Status
from moderation.core.submissions import Submission, is_article_id, parse_submission
from moderation.core.wordlists import Rules
from moderation.errors import ApiError, CommentsClosed, Duplicate, ValidationFailed
from moderation.i18n import submission_language
from moderation.shared import shared
from moderation.store import comments, counters
from moderation.store.models import Comment
from moderation.store.rules import current_rules

# How long the same text from the same client address counts as a resubmission (409).
DUPLICATE_WINDOW = timedelta(minutes=10)


class InvalidArticleId(ApiError):
    """An article id that the contract's pattern does not allow."""

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


def accept(article_id: str, data: Mapping[str, object], ip: str | None, now: datetime,
           user_agent: str = "") -> Accepted:
    """Validate, decide and store a submission; raise the contract's error when refused."""
    check_article_id(article_id)
    submission, vault = parse_submission(data), shared().vault
    supplied_key = antibot.commenter_key_from(data.get("commenter_key"))
    key = supplied_key or antibot.new_commenter_key()
    author = comments.Author(vault.digests(submission.email), supplied_key and antibot.commenter_key_hash(key), ip)
    body_digest = hashlib.sha256(submission.body.encode()).hexdigest()
    since = now - DUPLICATE_WINDOW
    context = comments.submission_context(article_id, submission.parent_id, body_digest, author, since)
    _refuse_early(context, now)
    counters.spend_submission(ip)  # from here on the submission costs us: it counts
    html = sanitize.render(submission.body)
    token = antibot.read_form_token(current_app.config["SECRET_KEY"], data.get("form_token"), now, article_id)
    rules, settings = current_rules(), _policy_config(context.premoderation)
    signals = policy.Signals(submission, html, ip, author.email_digests, context.returning_avatar is not None,
                             token.state, token.age_seconds)
    signals = _ask_external(signals, rules, settings, user_agent)
    decision = policy.decide(signals, rules, settings)
    comment = _comment(article_id, submission, (html, body_digest), decision, author, key,
                       context.returning_avatar, now)
    comment.lang = submission_language(data.get("lang"))  # optional, never refused: unknown ones are dropped
    new = comments.NewComment(comment, author, since, _article_details(submission, decision),
                              token.nonce, now + timedelta(seconds=antibot.FORM_TOKEN_MAX_AGE), _notices(submission))
    return Accepted(_store(new, lambda: policy.decide(replace(signals, form_token=policy.FormToken.REUSED),
                                                      rules, settings)), key)


def _comment(article_id: str, submission: Submission, body: tuple[str, str], decision: policy.Decision,
             author: comments.Author, key: str, returning_avatar: str | None, now: datetime) -> Comment:
    """The comment to store (body: its HTML and digest): its email sealed, its author's avatar (theirs,
    when proven), its key hashed."""
    (html, body_digest), key_hash, vault = body, antibot.commenter_key_hash(key), shared().vault
    sealed, key_id = vault.seal(submission.email)
    return Comment(
        article_id=article_id, parent_id=submission.parent_id, status=decision.status, reason=decision.reason,
        author_name=submission.name, author_website=submission.website, email_sealed=sealed, email_key_id=key_id,
        email_digest=author.email_digests[0], avatar=returning_avatar or vault.avatar(submission.email, key_hash),
        body_text=submission.body, body_html=html, body_digest=body_digest, ip=author.ip, commenter_key_hash=key_hash,
        created_at=now, updated_at=now,
    )


def _notices(submission: Submission) -> tuple[str, ...]:
    """The notices a reader asked for; none where the service sends no mail (the boxes are not shown)."""
    if not current_app.config["SMTP_URL"]:
        return ()
    return tuple(kind for kind, wanted in (("approval", submission.notify_approval),
                                           ("replies", submission.notify_replies)) if wanted)


def _refuse_early(context: comments.SubmissionContext, now: datetime) -> None:
    """The refusals that cost one read: a closed article, a parent that is not public, a proven duplicate."""
    if policy.comments_closed(context.closed, context.opened_at, now, current_app.config["CLOSE_AFTER_DAYS"]):
        raise CommentsClosed()
    if not context.parent_ok:
        raise ValidationFailed({"parent_id": "must be the id of an approved comment on this article"})
    if context.duplicate:
        raise Duplicate()


def _policy_config(article_premoderation: str | None) -> policy.PolicyConfig:
    config = current_app.config
    return policy.PolicyConfig(premoderation=policy.Premoderation(article_premoderation or config["PREMODERATION"]),
                               link_limit=config["LINK_LIMIT"], min_form_seconds=config["MIN_FORM_SECONDS"])


def _ask_external(signals: policy.Signals, rules: Rules, settings: policy.PolicyConfig,
                  user_agent: str) -> policy.Signals:
    """The signals with the external verdict added: asked only about what local rules would not call spam."""
    config = current_app.config
    if not config["SPAM_CHECK_URL"] or policy.decide(signals, rules, settings).status == Status.SPAM:
        return signals
    verdict = spamcheck.check(config["SPAM_CHECK_URL"], config["SPAM_CHECK_TIMEOUT"], signals.submission,
                              signals.ip, user_agent, site=signals.submission.article_url or "")
    return replace(signals, external=verdict)


def _article_details(submission: Submission, decision: policy.Decision) -> tuple[str | None, str | None] | None:
    """The article's title and URL from a submission that may set them: not spam, its URL on a site we serve."""
    own = origin_of(request.host_url) if request else None
    allowed = {origin_of(origin) for origin in current_app.config["ALLOWED_ORIGINS"]} | {own}
    url = submission.article_url
    if decision.status == Status.SPAM or url is None or origin_of(url) not in allowed - {None}:
        return None
    return submission.article_title, url


def _store(new: comments.NewComment, without_token: Callable[[], policy.Decision]) -> Comment:
    """Store the comment; if its form token had already served another, decide again without it."""
    try:
        return comments.add_comment(new)
    except comments.FormTokenReused:
        again, comment = without_token(), new.comment
        comment.status, comment.reason = again.status, again.reason
        return comments.add_comment(replace(new, form_nonce=None))
