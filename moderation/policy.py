"""PURE: decide what happens to a new comment — held, approved or spam — and why.

The reason is a short phrase moderators see next to the comment. No Flask, no
database, no clock: the caller passes in everything the decision depends on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Status
from .submissions import Submission


@dataclass(frozen=True)
class Decision:
    """The state a new comment starts in, with the reason shown to moderators."""

    status: Status
    reason: str


def decide(submission: Submission) -> Decision:
    """Every comment waits for a moderator, except honeypot hits, which are spam."""
    if submission.honeypot:
        return Decision(Status.SPAM, "spam: honeypot field filled")
    return Decision(Status.PENDING, "held: every comment is moderated")
