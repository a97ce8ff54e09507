"""An article's public comments newest thread first: each top-level comment, newest first,
followed by its replies, oldest first (WordPress's "newest first" pages).

A comment's thread is its public ancestry: a reply whose parent is not approved stands
at the top, as it does in the oldest-first list. One recursive query walks the article's
approved comments from those tops down; the cursor is (thread, id), so a page may end
inside a thread and the next one goes on with the rest of its replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, and_, exists, func, or_, select

from moderation.core.status import Status
from moderation.store.comments import PARENT, PUBLIC_COLUMNS, PUBLIC_PARENT
from moderation.store.database import session
from moderation.store.models import Comment


def newest_page(article_id: str, limit: int, after: tuple[int, int] | None) -> tuple[int, Sequence[Row[Any]]]:
    """The approved count, and up to limit + 1 approved comments after the (thread, id) cursor.

    Each row has the public columns, its public parent_id and `thread` (the id of its top comment).
    """
    approved = (select(Comment.id, Comment.parent_id)
                .where(Comment.article_id == article_id, Comment.status == Status.APPROVED).cte("approved"))
    above, below = approved.alias("above"), approved.alias("below")
    tops = select(approved.c.id, approved.c.id.label("thread")).where(
        ~exists().where(above.c.id == approved.c.parent_id))
    threads = tops.cte("threads", recursive=True)
    threads = threads.union_all(select(below.c.id, threads.c.thread).join(threads, below.c.parent_id == threads.c.id))
    ordered = (select(*PUBLIC_COLUMNS, PUBLIC_PARENT, threads.c.thread, func.count().over().label("total"))
               .join(threads, threads.c.id == Comment.id)
               .outerjoin(PARENT, PARENT.id == Comment.parent_id)
               .subquery())
    query = select(ordered)
    if after is not None:
        thread, last_id = after
        query = query.where(or_(ordered.c.thread < thread, and_(ordered.c.thread == thread, ordered.c.id > last_id)))
    rows = session().execute(query.order_by(ordered.c.thread.desc(), ordered.c.id).limit(limit + 1)).all()
    if rows:
        return rows[0].total, rows
    count = session().scalar(select(func.count()).where(
        Comment.article_id == article_id, Comment.status == Status.APPROVED)) if after is not None else 0
    return count or 0, rows
