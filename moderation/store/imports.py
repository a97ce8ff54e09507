"""Writing imported comments: checked like new ones, in batches, once per source id.

`Importer` takes a parser's records in file order. Each batch of BATCH comments is one
transaction: the comments whose source id is already stored are skipped (so an import run
twice, or again after a crash, adds nothing twice), the articles are created or given their
title and URL, and the rest are written with their emails sealed and digested exactly as a
new comment's, their text rendered by the same sanitizer, their dates kept. No outbox event
is written: an old conversation notifies nobody. A reply is linked to its parent when the
parent is stored (by this run or an earlier one); one whose parent comes later in the file
is linked at the end, and one whose parent was skipped or never came stays at the top
level, counted. Memory holds one batch, the ids of what was skipped, and the replies still
waiting for a parent.
"""

from __future__ import annotations

import hashlib
import ipaddress
import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, func, insert, select, update
from sqlalchemy.orm import Session

from moderation.core.privacy import EmailVault
from moderation.core.submissions import NAME_MAX, check_website, normalize_email
from moderation.store.audit import audit_entry
from moderation.store.database import dialect_insert, session, writing
from moderation.store.models import Article, Comment
from moderation.transfer.records import APPROVED, Item, Record, Skipped
from moderation.transfer.report import Report
from moderation.transfer.text import plain_name, render_body

BATCH = 500
BODY_LIMIT = 100_000  # characters: longer is refused (a new comment may have 5,000)
COMMENTS = cast(Table, Comment.__table__)  # the table itself: Core's insert, none of the ORM's bookkeeping
EMAILS_KEPT = 10_000  # addresses checked once each, then looked up


class Importer:
    """Feeds records into the database (or only counts them, when dry)."""

    def __init__(self, vault: EmailVault, now: datetime, dry_run: bool = False, label: str = "import",
                 workers: int = 1) -> None:
        """workers: processes that render the comments' text (the costly part) beside this one; 1: none."""
        self.vault, self.now, self.dry_run, self.label = vault, now, dry_run, label
        # Spawned, not forked: a fork of a process with threads (the database pool's) is not safe.
        self._pool = (ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
                      if workers > 1 and not dry_run else None)
        self._ready: tuple[list[Item], set[str | None], list[Item], Iterable[str]] | None = None
        self.report = Report()
        self._batch: list[Item] = []
        self._skipped_sources: set[str] = set()
        self._waiting: list[tuple[str, str]] = []  # (reply's source, parent's source) to link at the end
        self._seen: set[str] = set()  # dry runs only: what this run would have stored
        self._emails: dict[str, str] = {}

    def feed(self, records: Iterable[Record]) -> Report:
        """Import every record, then link the replies still waiting; the report."""
        try:
            for record in records:
                if isinstance(record, Item):
                    self._batch.append(record)
                    if len(self._batch) >= BATCH:
                        self._flush()
                elif isinstance(record, Skipped):
                    self.report.skipped[record.reason] += 1
                    if record.source_id:
                        self._skipped_sources.add(record.source_id)
                else:
                    self.report.problem(record.position, record.reason)
            self._flush()
            self._flush()  # the last batch, whose rendering the one before started
        finally:  # interrupted or not, the pool's processes go
            if self._pool:
                self._pool.shutdown(cancel_futures=True)
        self._link_waiting()
        return self.report

    def _flush(self) -> None:
        """Check a full batch against what is stored and start rendering its new comments (on the pool,
        while this process goes on); then write the batch before it, whose rendering is done."""
        batch, self._batch = self._batch, []
        if batch and self.dry_run:
            self._count_dry(batch)
            return
        ready = None
        if batch:
            stored = _stored(batch)
            fresh = [item for item in batch if item.source_id not in stored]
            texts = [(item.body.strip(), item.body_format) for item in fresh]
            rendered = self._pool.map(render_body, texts, chunksize=32) if self._pool else map(render_body, texts)
            ready = (batch, stored, fresh, rendered)
        if self._ready is not None:
            self._write(*self._ready)
        self._ready = ready

    def _write(self, batch: list[Item], stored: set[str | None], fresh: list[Item], rendered: Iterable[str]) -> None:
        """One batch's transaction: its articles, then its new comments."""
        with writing() as db:
            self._articles(db, fresh)
            parents = self._parent_ids(db, fresh)
            here = {item.source_id: item.thread.article_id for item in fresh}  # parents in this very batch
            rows = [row for row in (self._row(item, html, parents, here) for item, html in zip(fresh, rendered))
                    if row is not None]
            later = {row["source"]: row.pop("parent_source") for row in rows if "parent_source" in row}
            if rows:  # Core's executemany, no RETURNING: on PostgreSQL that was 0.6 of the speed
                db.execute(insert(COMMENTS), rows)
            if later:
                wanted = set(later) | set(later.values())
                ids = {source: comment_id for source, comment_id in db.execute(
                    select(Comment.source, Comment.id).where(Comment.source.in_(wanted)))}
                links = [{"id": ids[child], "parent_id": ids[parent]} for child, parent in later.items()
                         if parent in ids]
                self.report.top_level += len(later) - len(links)  # the parent could not be stored
                if links:
                    db.execute(update(Comment), links)  # by primary key, in one executemany
            _published(db, rows)
        for item in batch:  # a reply stored top-level by a run that died before linking it
            if item.source_id in stored and item.parent_source_id:
                self._waiting.append((item.source_id, item.parent_source_id))
        self.report.already += len(batch) - len(fresh)
        self.report.articles.update(item.thread.article_id for item in batch)

    def _count_dry(self, batch: list[Item]) -> None:
        """What a batch would add, writing nothing."""
        stored = _stored(batch)
        known = set(session().scalars(select(Article.id).where(Article.id.in_({i.thread.article_id for i in batch}))))
        for item in batch:
            if item.source_id in stored or item.source_id in self._seen:
                self.report.already += 1
                continue
            if self._checked(item) is None:
                continue
            self._seen.add(item.source_id)
            self.report.states[item.status] += 1
            if item.thread.article_id not in self.report.articles and item.thread.article_id not in known:
                self.report.new_articles += 1
            self.report.articles.add(item.thread.article_id)
            if item.parent_source_id and item.parent_source_id not in self._seen:
                self._waiting.append((item.source_id, item.parent_source_id))

    def _articles(self, db: Session, items: list[Item]) -> None:
        """Create the batch's articles that do not exist yet; give existing ones a title and URL they lack."""
        threads = {item.thread.article_id: item.thread for item in items}
        if not threads:
            return
        known = {row.id: row for row in db.execute(select(Article.id, Article.title, Article.url)
                                                   .where(Article.id.in_(list(threads))))}
        dialect = db.get_bind().dialect.name
        for article_id, thread in threads.items():
            found = known.get(article_id)
            if found is None:
                db.execute(dialect_insert(dialect, Article).values(
                    id=article_id, title=thread.title, url=thread.url, closed=False, version=0, created_at=self.now)
                    .on_conflict_do_nothing(index_elements=[Article.id]))
                self.report.new_articles += 1
            elif (found.title is None and thread.title) or (found.url is None and thread.url):
                db.execute(update(Article).where(Article.id == article_id).values(  # only what it lacks
                    title=found.title or thread.title, url=found.url or thread.url))
            self.report.articles.add(article_id)

    def _parent_ids(self, db: Session, items: list[Item]) -> dict[str, tuple[int, str]]:
        """The stored id and article of each parent the batch's replies name (stored before this batch)."""
        wanted = {item.parent_source_id for item in items if item.parent_source_id}
        if not wanted:
            return {}
        return {source: (comment_id, article_id) for comment_id, article_id, source in db.execute(
            select(Comment.id, Comment.article_id, Comment.source).where(Comment.source.in_(wanted))) if source}

    def _row(self, item: Item, html: str, parents: dict[str, tuple[int, str]],
             here: dict[str, str]) -> dict[str, Any] | None:
        """The comment row to insert for an item (html: its body rendered; parents: those stored already,
        here: the batch's, by source → article); None (with a problem noted) when it cannot be."""
        checked = self._checked(item)
        if checked is None:
            return None
        name, email, website, ip = checked
        parent_id, later = None, {}
        if item.parent_source_id:
            found = parents.get(item.parent_source_id)
            if found is not None and found[1] == item.thread.article_id:
                parent_id = found[0]
            elif found is None and here.get(item.parent_source_id) == item.thread.article_id:
                later = {"parent_source": item.parent_source_id}  # linked once the batch has its ids
            elif found is None and item.parent_source_id not in self._skipped_sources:
                self._waiting.append((item.source_id, item.parent_source_id))  # it may come later in the file
            else:
                self.report.top_level += 1
        sealed, key_id = self.vault.seal(email)
        self.report.states[item.status] += 1
        created = item.created_at or self.now
        return {
            "article_id": item.thread.article_id, "parent_id": parent_id, "status": item.status,
            "reason": f"imported ({self.label})", "author_name": name, "author_website": website,
            "email_sealed": sealed, "email_key_id": key_id, "email_digest": self.vault.digest(email),
            "avatar": self.vault.avatar(email, ""), "body_text": item.body, "body_html": html,
            "body_digest": hashlib.sha256(item.body.encode()).hexdigest(), "ip": ip,
            "commenter_key_hash": None, "created_at": created, "updated_at": created, "source": item.source_id,
            **later,
        }

    def _checked(self, item: Item) -> tuple[str, str, str | None, str | None] | None:
        """An item's name, email ("" for none), website and IP as they will be stored; None when
        it cannot be imported (its date unreadable, its text empty or too long), the problem noted."""
        if item.created_at is None:
            self.report.problem(item.position, "its date could not be read")
            return None
        body = item.body.strip()
        if not body or len(body) > BODY_LIMIT:
            self.report.problem(item.position, "its text is empty" if not body else
                                f"its text is over {BODY_LIMIT:,} characters")
            return None
        email = self._email(item.email)
        if not email:
            self.report.without_email += 1
        return plain_name(item.name, NAME_MAX) or "Anonymous", email, check_website(item.website), _ip(item.ip)

    def _email(self, typed: str) -> str:
        """The address as a new comment's would be stored, "" for none or an invalid one (people come back:
        each address is checked once, up to EMAILS_KEPT of them)."""
        found = self._emails.get(typed)
        if found is None:
            try:
                found = normalize_email(typed) if typed.strip() else ""
            except ValueError:
                found = ""
            if len(self._emails) >= EMAILS_KEPT:
                self._emails.clear()
            self._emails[typed] = found
        return found

    def _link_waiting(self) -> None:
        """Link the replies whose parent came later in the file; the rest stay at the top level."""
        waiting, self._waiting = self._waiting, []
        if self.dry_run:
            self.report.top_level += sum(1 for _, parent in waiting if parent not in self._seen)
            return
        for start in range(0, len(waiting), BATCH):
            with writing() as db:
                chunk = waiting[start:start + BATCH]
                sources = {source for pair in chunk for source in pair}
                found = {source: (comment_id, article_id, parent_id) for comment_id, article_id, parent_id, source
                         in db.execute(select(Comment.id, Comment.article_id, Comment.parent_id, Comment.source)
                                       .where(Comment.source.in_(sources)))}
                links = []
                for reply, parent in chunk:
                    child, mother = found.get(reply), found.get(parent)
                    if child is None or child[2] is not None:
                        continue  # not stored (a problem), or linked by an earlier run
                    if mother is None or mother[1] != child[1]:
                        self.report.top_level += 1
                        continue
                    links.append({"id": child[0], "parent_id": mother[0]})
                if links:
                    db.execute(update(Comment), links)  # by primary key, in one executemany

    def audit(self) -> None:
        """Record the import in the audit log (as the command line's), with its counts."""
        with writing() as db:
            db.add(audit_entry(None, "imported", self.now, detail=f"{self.label}: {self.report.summary()}"[:500]))


def _stored(batch: list[Item]) -> set[str | None]:
    """The source ids of a batch that an earlier import (or this one) has stored already."""
    return set(session().scalars(select(Comment.source).where(Comment.source.in_([i.source_id for i in batch]))))


def _published(db: Session, rows: list[dict[str, Any]]) -> None:
    """Give the articles that gained approved comments a new version (their ETag changes) and, if
    they had none, the date of their first approved comment (the "close after N days" clock),
    in one UPDATE for the batch."""
    first: dict[str, datetime] = {}
    for row in rows:
        if row["status"] == APPROVED:
            first[row["article_id"]] = min(first.get(row["article_id"], row["created_at"]), row["created_at"])
    if first:
        db.execute(update(Article).where(Article.id.in_(list(first))).values(
            version=Article.version + 1,
            opened_at=func.coalesce(Article.opened_at, case(first, value=Article.id))))


def _ip(text: str) -> str | None:
    """An IP address as stored, or None for anything that is not one."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None
