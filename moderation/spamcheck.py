"""The optional external spam check: Akismet's `comment-check` protocol over HTTP.

Off unless MODERATION_SPAM_CHECK_URL is set. The answer "true" means spam and "false"
means not; anything else, an error or a timeout is Verdict.ERROR, and the policy then
holds the comment. Moderators' decisions go back to it (`report`: submit-spam and
submit-ham) through the outbox. The commenter's email is never sent, and the URL (which carries the
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


def fields_of(author: str, website: str | None, text: str, ip: str | None, user_agent: str, permalink: str,
              site: str) -> dict[str, str]:
    """What Akismet's calls are told about a comment: never the email."""
    return {"blog": site, "user_ip": ip or "", "user_agent": user_agent, "comment_type": "comment",
            "comment_author": author, "comment_author_url": website or "", "comment_content": text,
            "permalink": permalink}


def _post(url: str, fields: dict[str, str], timeout: float) -> str:
    """POST the fields; the answer's first bytes, lower-cased (OSError, URLError or ValueError on failure)."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 -- operator's URL
        return str(response.read(64).decode("ascii", "replace").strip().lower())


def check(url: str, timeout: float, submission: Submission, ip: str | None, user_agent: str,
          site: str) -> Verdict:
    """Ask the classifier about one submission."""
    fields = fields_of(submission.name, submission.website, submission.body, ip, user_agent,
                       submission.article_url or "", site)
    try:
        answer = _post(url, fields, timeout)
    except (OSError, urllib.error.URLError, ValueError) as error:
        log.warning("spam check failed: %s", describe(error))
        return Verdict.ERROR
    if answer in ("true", "false"):
        return Verdict.SPAM if answer == "true" else Verdict.HAM
    log.warning("spam check answered %r", answer)
    return Verdict.ERROR


def report(url: str, timeout: float, fields: dict[str, str], spam: bool) -> None:
    """Tell the classifier a moderator's decision (Akismet's submit-spam or submit-ham, beside
    comment-check in the URL); raises what _post raises, or ValueError for an error status."""
    _post(url.replace("comment-check", "submit-spam" if spam else "submit-ham", 1), fields, timeout)


def describe(error: Exception) -> str:
    """What went wrong, without the URL: an HTTP status, or the kind of network error."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    reason = getattr(error, "reason", error)
    return type(reason).__name__ if not isinstance(reason, str) else "network error"
