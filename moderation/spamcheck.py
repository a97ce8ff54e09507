"""The optional external spam check: Akismet's `comment-check` protocol over HTTP.

Off unless MODERATION_SPAM_CHECK_URL is set. The answer "true" means spam and "false"
means not; anything else, an error or a timeout is Verdict.ERROR, and the policy then
holds the comment. The commenter's email is never sent.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request

from .policy import Verdict
from .submissions import Submission

log = logging.getLogger(__name__)


def check(url: str, timeout: float, submission: Submission, ip: str | None, user_agent: str,
          site: str) -> Verdict:
    """Ask the classifier about one submission."""
    fields = {
        "blog": site, "user_ip": ip or "", "user_agent": user_agent, "comment_type": "comment",
        "comment_author": submission.name, "comment_author_url": submission.website or "",
        "comment_content": submission.body, "permalink": submission.article_url or "",
    }
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 -- operator's URL
            answer = response.read(64).decode("ascii", "replace").strip().lower()
    except (OSError, urllib.error.URLError, ValueError) as error:
        log.warning("spam check at %s failed: %s", url, error)
        return Verdict.ERROR
    if answer in ("true", "false"):
        return Verdict.SPAM if answer == "true" else Verdict.HAM
    log.warning("spam check at %s answered %r", url, answer)
    return Verdict.ERROR
