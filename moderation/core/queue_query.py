"""PURE: the rules of the moderators' web queue, apart from HTTP and storage.

Which comments a request asks for, which action a form names, where a moderator may be
sent back to, and how counts and waiting times read. No Flask, no database, no clock:
views pass in the request's arguments and `now`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from moderation.core.status import ACTIONS, QUEUE_STATUSES, Status, whole_number
from moderation.core.submissions import is_article_id
from moderation.errors import ValidationFailed

DONE = {"approve": "Approved", "reject": "Rejected", "spam": "Marked as spam", "delete": "Deleted"}
AUDIT_ACTIONS = ("approved", "rejected", "spam", "deleted", "edited", "closed", "reopened", "password",
                 # the rules page (web/moderate/rules), and the purge the CLI records
                 "word_added", "word_removed", "blocked", "unblocked", "premoderation", "purge",
                 # the articles page (web/moderate/articles); a reader's data exported or erased (people)
                 "article_details", "person_exported", "person_erased",
                 # the team (cli/team, web/moderate/team)
                 "moderator_created", "moderator_changed", "moderator_removed", "token_created", "token_revoked",
                 # webhooks (cli/webhooks, web/moderate/webhooks)
                 "webhook_added", "webhook_removed",
                 # readers' reports: a comment they held (store/reports), and a moderator dismissing them
                 "held", "reports_dismissed")
COUNT_CAP = 10_000
PAGE_SIZE, PAGE_MAX, SEARCH_MAX, BULK_MAX = 50, 200, 200, 200
HOME = "/moderate/"


@dataclass(frozen=True)
class QueueQuery:
    """What the queue page shows: one state, maybe one article and a search, one page of it."""

    status: Status = Status.PENDING
    article: str | None = None
    search: str = ""
    after: int | None = None
    before: int | None = None
    limit: int = PAGE_SIZE

    @property
    def newest_first(self) -> bool:
        """Pending comments wait longest-first; decided ones read most recent first."""
        return self.status != Status.PENDING

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query arguments of this view with some changed, defaults left out."""
        query = replace(self, **changes)
        args = {"status": query.status if query.status != Status.PENDING else None, "article": query.article,
                "q": query.search or None, "limit": query.limit if query.limit != PAGE_SIZE else None,
                "after": query.after, "before": query.before}
        return {key: value for key, value in args.items() if value is not None}


def _whole(args: Mapping[str, str], key: str, default: int | None, maximum: int | None,
           errors: dict[str, str]) -> int | None:
    """A whole number argument from 1 to maximum, or default when absent."""
    raw = args.get(key, "")
    if raw == "":
        return default
    number = whole_number(raw, maximum)
    if number is None:
        errors[key] = f"must be a whole number from 1 to {maximum}" if maximum else "must be a whole number"
        return default
    return number


def _refuse(what: str, errors: dict[str, str]) -> None:
    """Raise ValidationFailed naming every bad argument, when there is one."""
    if errors:
        raise ValidationFailed(errors, f"{what}: " + "; ".join(f"{key} {text}" for key, text in errors.items()) + ".")


def parse_query(args: Mapping[str, str]) -> QueueQuery:
    """The queue view a request asks for; raise ValidationFailed naming every bad argument."""
    errors: dict[str, str] = {}
    status = args.get("status", Status.PENDING)
    if status not in QUEUE_STATUSES:
        errors["status"] = "must be one of " + ", ".join(QUEUE_STATUSES)
        status = Status.PENDING
    article = args.get("article", "").strip() or None
    if article is not None and not is_article_id(article):
        errors["article"] = "must be an article id: letters, digits and . _ ~ -"
    search = args.get("q", "").strip()
    if len(search) > SEARCH_MAX:
        errors["q"] = f"must be at most {SEARCH_MAX} characters"
    limit = _whole(args, "limit", PAGE_SIZE, PAGE_MAX, errors) or PAGE_SIZE
    after = _whole(args, "after", None, None, errors)
    before = _whole(args, "before", None, None, errors)
    if after is not None and before is not None:
        errors["before"] = "give either after or before, not both"
    _refuse("The queue cannot show that", errors)
    return QueueQuery(Status(status), article, search, after, before, limit)


@dataclass(frozen=True)
class AuditQuery:
    """Which audit entries to show: by moderator, action and comment, older than a cursor."""

    moderator: str | None = None
    action: str | None = None
    comment: int | None = None
    before: int | None = None

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query arguments of this view with some changed, empty ones left out."""
        query = replace(self, **changes)
        args = {"moderator": query.moderator, "action": query.action, "comment": query.comment,
                "before": query.before}
        return {key: value for key, value in args.items() if value is not None}


def parse_audit(args: Mapping[str, str]) -> AuditQuery:
    """The audit log view a request asks for; raise ValidationFailed naming every bad argument."""
    errors: dict[str, str] = {}
    moderator = args.get("moderator", "").strip() or None
    if moderator is not None and len(moderator) > 64:
        errors["moderator"] = "must be a moderator's name"
    action = args.get("action", "") or None
    if action is not None and action not in AUDIT_ACTIONS:
        errors["action"] = "must be one of " + ", ".join(AUDIT_ACTIONS)
    comment = _whole(args, "comment", None, None, errors)
    before = _whole(args, "before", None, None, errors)
    _refuse("The audit log cannot show that", errors)
    return AuditQuery(moderator, action, comment, before)


def parse_page(raw: str | None) -> int:
    """A page number, 1 when absent or not a sensible number."""
    return whole_number(raw, 100_000) or 1


def parse_action(name: str | None) -> str:
    """A known action's name (approve, reject, spam, delete)."""
    if name not in ACTIONS:
        raise ValidationFailed({"action": "must be one of " + ", ".join(ACTIONS)},
                               "Choose approve, reject, spam or delete.")
    return name


def parse_ids(values: Iterable[str]) -> list[int]:
    """The selected comment ids, in order, each once; at least one and at most BULK_MAX."""
    ids: list[int] = []
    for value in values:
        comment_id = whole_number(value)
        if comment_id is None:
            raise ValidationFailed({"ids": "must be comment ids"}, "The selection holds something that is "
                                   "not a comment id.")
        if comment_id not in ids:
            ids.append(comment_id)
    if not ids:
        raise ValidationFailed({"ids": "select at least one comment"}, "Select at least one comment first.")
    if len(ids) > BULK_MAX:
        raise ValidationFailed({"ids": f"select at most {BULK_MAX}"}, f"Select at most {BULK_MAX} comments.")
    return ids


def safe_return(target: str | None) -> str:
    """Where to go back to: a path inside /moderate/ on this site, else the queue itself."""
    if not target or any(char in target for char in "\\\r\n\t") or not target.isprintable():
        return HOME
    parts = urlsplit(target)
    dots = "/." in parts.path or "%2e" in parts.path.lower()  # no way out through dot segments
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME) or dots:
        return HOME
    return parts.path + (f"?{parts.query}" if parts.query else "")


def capped(count: int, cap: int = COUNT_CAP) -> str:
    """A count as shown: exact up to cap, then "10,000+" (counting further would be a scan)."""
    return f"{cap:,}+" if count > cap else f"{count:,}"


def waited(since: datetime, now: datetime) -> str:
    """How long ago, briefly: "just now", "12 min", "5 h", "3 d"."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def plural(count: int, noun: str) -> str:
    """A count and its noun: 1 comment, 3 comments."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def edit_detail(old: str, new: str) -> str:
    """What the audit log says about an edit."""
    return f"text edited ({len(old)} → {len(new)} characters)"
