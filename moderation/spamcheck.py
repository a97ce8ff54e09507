"""The optional external spam check: Akismet's `comment-check` protocol over HTTP.

Off unless MODERATION_SPAM_CHECK_URL is set. The answer "true" means spam and "false"
means not; anything else, an error or a timeout is Verdict.ERROR, and the policy then
holds the comment. The commenter's email is never sent, and the URL (which carries the
site's API key, in Akismet's host name or elsewhere) is never written to the log.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.parse
import urllib.request

from moderation.core.policy import Verdict
from moderation.core.submissions import Submission

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
        log.warning("spam check failed: %s", _describe(error))
        return Verdict.ERROR
    if answer in ("true", "false"):
        return Verdict.SPAM if answer == "true" else Verdict.HAM
    log.warning("spam check answered %r", answer)
    return Verdict.ERROR


def _describe(error: Exception) -> str:
    """What went wrong, without the URL: an HTTP status, or the kind of network error."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    reason = getattr(error, "reason", error)
    return type(reason).__name__ if not isinstance(reason, str) else "network error"
