"""PURE: decide what happens to a new comment — held, approved or spam — and why.

The reason is a short phrase moderators see next to the comment ("held: 3 links",
"spam: blocked word 'casino'"). No Flask, no database, no clock: the caller gathers
every signal first (returning author, form age, external verdict) and passes it in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property

from moderation.core.status import Status
from moderation.core.submissions import Submission
from moderation.core.textfold import fold, visible_text
from moderation.core.wordlists import Rules

LINK = re.compile(r"<a\s[^>]*\bhref=", re.IGNORECASE)


class Premoderation(StrEnum):
    """Which comments wait for a moderator."""

    ALL = "all"
    FIRST_TIME = "first-time"
    NONE = "none"


class FormToken(StrEnum):
    """What the signed form timestamp said, if the client sent one."""

    MISSING = "missing"
    INVALID = "invalid"  # forged, stale, or for another article
    VALID = "valid"
    REUSED = "reused"  # valid, but it already served another submission


class Verdict(StrEnum):
    """The external classifier's answer."""

    OFF = "off"
    HAM = "ham"
    SPAM = "spam"
    ERROR = "error"


@dataclass(frozen=True)
class Signals:
    """Everything known about a submission when it is decided."""

    submission: Submission
    html: str
    ip: str | None
    email_digests: tuple[str, ...]  # under the current secret key, then each retired one
    returning_author: bool = False
    form_token: FormToken = FormToken.MISSING
    form_age_seconds: float | None = None
    external: Verdict = Verdict.OFF

    @cached_property
    def folded_texts(self) -> tuple[str, ...]:
        """What word lists look at, folded once for both lists: the comment as readers will see
        it, and the author's fields."""
        submission = self.submission
        texts = (visible_text(self.html), submission.name, submission.email, submission.website, self.ip)
        return tuple(fold(text) for text in texts if text)


@dataclass(frozen=True)
class PolicyConfig:
    """A site's moderation settings."""

    premoderation: Premoderation = Premoderation.ALL
    link_limit: int = 2
    min_form_seconds: float = 3.0


@dataclass(frozen=True)
class Decision:
    """The state a new comment starts in, with the reason shown to moderators."""

    status: Status
    reason: str


def spam(reason: str) -> Decision:
    """A decision to file the comment as spam, saying why."""
    return Decision(Status.SPAM, f"spam: {reason}")


def held(reason: str) -> Decision:
    """A decision to hold the comment for a moderator, saying why."""
    return Decision(Status.PENDING, f"held: {reason}")


def decide(signals: Signals, rules: Rules, config: PolicyConfig) -> Decision:
    """Spam rules first, then the rules that hold, then pre-moderation."""
    return _spam(signals, rules, config) or _hold(signals, rules, config) or _premoderation(signals, config)


def _spam(signals: Signals, rules: Rules, config: PolicyConfig) -> Decision | None:
    submission = signals.submission
    if submission.honeypot:
        return spam("honeypot field filled")
    network = rules.blocked_network(signals.ip)
    if network is not None:
        return spam(f"blocked address {network}")
    if not rules.blocked_email_digests.isdisjoint(signals.email_digests):
        return spam("blocked email address")
    word = rules.spam_words.first_match_folded(*signals.folded_texts)
    if word is not None:
        return spam(f"blocked word '{word}'")
    if signals.external == Verdict.SPAM:
        return spam("the external spam check says so")
    return None


def _hold(signals: Signals, rules: Rules, config: PolicyConfig) -> Decision | None:
    links = link_count(signals.html)
    if config.link_limit and links >= config.link_limit:
        return held(f"{links} links")
    word = rules.hold_words.first_match_folded(*signals.folded_texts)
    if word is not None:
        return held(f"word '{word}'")
    if signals.external == Verdict.ERROR:
        return held("the external spam check did not answer")
    # Timing is a weak signal (a reader may restore a draft and send at once): it holds, never bins.
    age = signals.form_age_seconds
    if signals.form_token == FormToken.VALID and age is not None and age < config.min_form_seconds:
        return held(f"sent {max(age, 0):.1f} s after the form was shown")
    if signals.form_token == FormToken.INVALID:
        return held("the form token is not valid")
    if signals.form_token == FormToken.REUSED:
        return held("the form token was already used")
    return None


def _premoderation(signals: Signals, config: PolicyConfig) -> Decision:
    if config.premoderation == Premoderation.ALL:
        return held("every comment is moderated")
    if signals.returning_author:
        return Decision(Status.APPROVED, "approved: returning author")
    if config.premoderation == Premoderation.FIRST_TIME:
        return held("first comment from this author")
    if signals.form_token == FormToken.MISSING:
        return held("no form token")
    return Decision(Status.APPROVED, "approved: pre-moderation is off")


def link_count(html: str) -> int:
    """How many links the rendered comment holds (bare URLs included, once linkified)."""
    return len(LINK.findall(html))


def comments_closed(closed: bool, first_comment_at: datetime | None, now: datetime, close_after_days: int) -> bool:
    """Closed by hand, or automatically close_after_days after the first comment (0: never)."""
    if closed:
        return True
    if not close_after_days or first_comment_at is None:
        return False
    return now - first_comment_at >= timedelta(days=close_after_days)
