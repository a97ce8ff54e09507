"""Storage of readers' reports: taking one, holding a comment that enough readers reported,
dismissing them, and what the moderators' pages show of them.

A report is one INSERT that ignores the (comment, reader) conflict, so the unique constraint
deduplicates and a repeat changes nothing. The comment is read with a row lock first, so the
reports of one comment are counted one transaction at a time (PostgreSQL; SQLite's write
transactions are one at a time already), and it leaves the public list by a conditional
UPDATE on its state: however many reports cross the threshold at once, it moves exactly once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from moderation.core import events
from moderation.core.reports import ReportInput, held_reason
from moderation.core.status import Status
from moderation.errors import NotFound
from moderation.store import outbox
from moderation.store.audit import audit_entry
from moderation.store.database import dialect_insert, locked, session, writing
from moderation.store.models import AuditEntry, Comment, Moderator
from moderation.store.report_models import Report
from moderation.store.versions import bump_version

READERS = "readers' reports"  # who the audit log names for a hold the reports made
NOTES_SHOWN = 10  # the latest notes a moderator sees on a comment


class NotPublished(NotFound):
    """No published comment has this id: the one answer for a missing, pending, rejected or spam comment."""

    message = "There is no published comment with this id."


@dataclass(frozen=True)
class Taken:
    """What a report did: whether it counted (a repeat does not), and whether it held the comment."""

    counted: bool
    held: bool


def add_report(comment_id: int, reader: str, report: ReportInput, now: datetime, threshold: int) -> Taken:
    """Record a reader's report of a published comment; hold the comment when its open reports reach
    threshold (0: never). NotPublished when the comment is missing or not approved."""
    with writing() as db:
        comment = _published(db, comment_id)
        counted = db.scalar(dialect_insert(db.get_bind().dialect.name, Report)
                            .values(comment_id=comment_id, reader=reader, reason=report.reason,
                                    note=report.note, created_at=now)
                            .on_conflict_do_nothing(index_elements=[Report.comment_id, Report.reader])
                            .returning(Report.id)) is not None
        by_reason = open_reasons(db, comment_id) if counted and threshold else Counter()
        held = sum(by_reason.values()) >= threshold > 0 and _hold(db, comment, held_reason(by_reason), now)
    return Taken(counted, held)


def _published(db: Session, comment_id: int) -> Comment:
    """The approved comment, locked; NotPublished for any other (the same answer, so no oracle)."""
    comment = db.get(Comment, comment_id, with_for_update=True)
    if comment is None or comment.status != Status.APPROVED:
        raise NotPublished()
    return comment


def open_reasons(db: Session, comment_id: int) -> Counter[str]:
    """A comment's undismissed reports, counted by reason."""
    rows = db.execute(select(Report.reason, func.count()).where(
        Report.comment_id == comment_id, Report.dismissed_at.is_(None)).group_by(Report.reason))
    return Counter({reason: count for reason, count in rows})


def _hold(db: Session, comment: Comment, reason: str, now: datetime) -> bool:
    """Take a published comment back to the queue: off the public list (its article's version moves),
    audited, its event recorded; False when it was no longer approved (moved by someone else)."""
    moved = cast(CursorResult[Any], db.execute(
        update(Comment).where(Comment.id == comment.id, Comment.status == Status.APPROVED)
        .values(status=Status.PENDING, reason=reason, updated_at=now)
        .execution_options(synchronize_session=False))).rowcount
    if moved != 1:
        return False
    comment.status, comment.reason, comment.updated_at = Status.PENDING, reason, now
    bump_version(db, comment.article_id)
    outbox.record(db, events.HELD, comment, Status.PENDING, now)
    db.add(AuditEntry(moderator_id=None, moderator_name=READERS, action="held", comment_id=comment.id,
                      article_id=comment.article_id, detail=reason, via="reports", created_at=now))
    return True


def dismiss_open(db: Session, comment_id: int, now: datetime) -> int:
    """Mark a comment's open reports dismissed, in the caller's transaction: how many."""
    result = db.execute(update(Report).where(Report.comment_id == comment_id, Report.dismissed_at.is_(None))
                        .values(dismissed_at=now).execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


def dismiss(comment_id: int, moderator: Moderator, now: datetime) -> int:
    """A moderator dismisses a comment's open reports (audited when there were any): how many.

    They stop counting; the rows stay, so the same readers cannot report it again."""
    with writing() as db:
        comment = locked(db, Comment, comment_id, f"There is no comment {comment_id}; it may have been deleted.")
        count = dismiss_open(db, comment_id, now)
        if count:
            db.add(audit_entry(moderator, "reports_dismissed", now, comment_id=comment_id,
                               article_id=comment.article_id, detail=f"{count} report{'s' * (count != 1)}"))
    return count


def open_counts(comment_ids: Iterable[int]) -> dict[int, int]:
    """How many open reports each of these comments has (those with none left out), in one query."""
    ids = list(set(comment_ids))
    if not ids:
        return {}
    query = (select(Report.comment_id, func.count()).where(Report.comment_id.in_(ids), Report.dismissed_at.is_(None))
             .group_by(Report.comment_id))
    return {comment_id: count for comment_id, count in session().execute(query)}


@dataclass
class Reports:
    """A comment's open reports, as moderators see them: how many, by reason, and the latest notes."""

    count: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    notes: list[tuple[str, str, datetime]] = field(default_factory=list)  # (reason, note, when), newest first


def open_reports(comment_ids: Iterable[int]) -> dict[int, Reports]:
    """The open reports of each of these comments that has any (two queries, whatever the page)."""
    ids = list(set(comment_ids))
    if not ids:
        return {}
    found: dict[int, Reports] = {}
    counts = (select(Report.comment_id, Report.reason, func.count())
              .where(Report.comment_id.in_(ids), Report.dismissed_at.is_(None))
              .group_by(Report.comment_id, Report.reason))
    for comment_id, reason, count in session().execute(counts):
        reports = found.setdefault(comment_id, Reports())
        reports.count += count
        reports.by_reason[reason] = count
    notes = (select(Report.comment_id, Report.reason, Report.note, Report.created_at)
             .where(Report.comment_id.in_(list(found)), Report.dismissed_at.is_(None), Report.note.is_not(None))
             .order_by(Report.created_at.desc(), Report.id.desc()))
    for comment_id, reason, note, created_at in session().execute(notes) if found else ():
        if note is not None and len(found[comment_id].notes) < NOTES_SHOWN:
            found[comment_id].notes.append((reason, note, created_at))
    return found
