"""Jobs that run on their own, once per period across every worker and instance.

Whoever moves a job's `next_run_at` forward with one conditional UPDATE has claimed that
period's run; everyone else finds the row already moved and does nothing. A claim is one
statement, so two workers cannot both see the job due and both run it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from moderation.store.database import session, writing
from moderation.store.models import ScheduledJob


def claim(job: str, now: datetime, period: timedelta) -> bool:
    """Claim the job's run when it is due; True for the one caller that should run it now."""
    due = session().scalar(select(ScheduledJob.next_run_at).where(ScheduledJob.name == job))
    if due is None or due > now:  # nearly every look: a read, no write lock taken
        return False
    with writing() as db:
        result = db.execute(update(ScheduledJob)
                            .where(ScheduledJob.name == job, ScheduledJob.next_run_at <= now)
                            .values(next_run_at=now + period, last_run_at=now))
    # Session.execute is typed to return a Result; an UPDATE's is a CursorResult (SQLAlchemy's advice).
    return cast(CursorResult[Any], result).rowcount == 1


def last_run(job: str) -> datetime | None:
    """When the job last ran (was claimed), or None."""
    return session().scalar(select(ScheduledJob.last_run_at).where(ScheduledJob.name == job))
