"""The audit log: who (a moderator, or the command line) changed what, and when.

Every change a moderator or an operator makes is recorded in the transaction that makes
it; `changed` is the one shape of such a change: compare, set, audit — or do nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.store.database import session
from moderation.store.models import AuditEntry, Moderator

CLI_NAME = "command line"  # who the audit log names for changes made with `flask --app app …`


def audit_entry(by: Moderator | None, action: str, now: datetime, via: str | None = None, *,
                comment_id: int | None = None, article_id: str | None = None,
                detail: str | None = None) -> AuditEntry:
    """One line of the audit log: who (a moderator, or the command line) did what, and when.

    via: "web", "api" or "cli"; by default "web" for a moderator and "cli" for the command line.
    """
    return AuditEntry(moderator_id=by.id if by else None, moderator_name=by.name if by else CLI_NAME,
                      action=action, comment_id=comment_id, article_id=article_id, detail=detail,
                      via=via or ("web" if by else "cli"), created_at=now)


def changed(db: Session, row: Any, wanted: Mapping[str, object], entry: AuditEntry,
            also: Mapping[str, object] | None = None) -> bool:
    """Give a locked row the wanted values (and `also`) and record entry; False, and nothing
    written, when it already holds them."""
    if all(getattr(row, name) == value for name, value in wanted.items()):
        return False
    for name, value in {**wanted, **(also or {})}.items():
        setattr(row, name, value)
    db.add(entry)
    return True


def audit_page(moderator: str | None, action: str | None, comment_id: int | None,
               before: int | None, limit: int) -> tuple[list[AuditEntry], bool]:
    """Audit entries, newest first, filtered; and whether older ones follow."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    for column, value in ((AuditEntry.moderator_name, moderator), (AuditEntry.action, action),
                          (AuditEntry.comment_id, comment_id)):
        if value is not None:
            query = query.where(column == value)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    entries = list(session().scalars(query))
    return entries[:limit], len(entries) > limit
