"""Reads and writes in one request: whatever a request reads after it writes sees the write.

A request's reads share one session; each write runs in its own transaction. On SQLite a
read transaction keeps the snapshot it began with, so a read that happened while a write
was open (say, the compiled rules looked up mid-write) must not pin the request to the
world before that write.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from moderation.shared import now
from moderation.store.database import session, writing
from moderation.store.models import Article, WordEntry


def words() -> int:
    """How many words the request's read session sees on the lists."""
    return session().scalar(select(func.count()).select_from(WordEntry)) or 0


@pytest.mark.parametrize("read_while_writing", [False, True], ids=["read-before", "read-during"])
def test_a_request_reads_its_own_writes(app: Flask, read_while_writing: bool) -> None:
    with app.app_context():
        assert words() == 0  # the read session's transaction begins here
        with writing() as db:
            db.add(WordEntry(list="hold", word="casino", created_at=now()))
            if read_while_writing:
                assert words() == 0  # not committed yet: the read session sees the world before
        assert words() == 1


def test_a_failed_write_leaves_nothing_and_reads_go_on(app: Flask) -> None:
    def fail(db: Any) -> None:
        db.add(Article(id="a1", closed=False, version=0, created_at=now()))
        db.flush()
        raise RuntimeError("the write fails after its first statement")

    with app.app_context():
        with pytest.raises(RuntimeError), writing() as db:
            fail(db)
        assert session().get(Article, "a1") is None
