"""The whole site as one JSON document, and back: `export` streams it, `restore` reads it in.

The document (`FORMAT`, `VERSION`) holds the articles with their settings, every comment with
its state, thread, dates, text and HTML, name, website, email (opened: the export is for the
site's owner and says it holds personal data) and IP, readers' reports (dismissed ones too),
the word lists and blocks, and the audit log; never moderators, tokens, secrets or readers'
notice consents (which a restored site asks again). An email block and a report's reader
hold keyed digests, which only the same secret key matches again.

Restoring is idempotent. The document carries its database's own key (`SiteIdentity`): into
that database, or into an empty one (which takes the key), every comment keeps its id, and one
whose id is already there is left as it is — so export, restore into an empty database, export
gives the same document. Into another database, comments get new ids and are found again by
their source: their own import source, or `site:<key>#<id>`. Batches commit one at a time,
so an interrupted restore can simply be run again.
"""

from __future__ import annotations

import secrets
import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.core.privacy import EmailVault
from moderation.core.times import timestamp
from moderation.store.audit import audit_entry
from moderation.store.database import dialect_insert, session, writing
from moderation.store.models import Article, AuditEntry, Block, Comment, Moderator, SiteIdentity, WordEntry
from moderation.store.report_models import Report

FORMAT, VERSION = "comment-moderation-export", 1
BATCH = 1000
# The audit entries of exports and restores stay in the database's log, out of the document: a
# restored site should not claim transfers that happened to another.
TRANSFER_ACTIONS = ("site_exported", "site_restored")


def site_key(db: Session, now: datetime, adopt: str | None = None) -> str:
    """This database's key, made now if it has none (adopt: the key to take, for an empty database)."""
    found = db.scalar(select(SiteIdentity.key).where(SiteIdentity.id == 1))
    if found is not None:
        return found
    key = adopt or secrets.token_hex(16)
    db.execute(dialect_insert(db.get_bind().dialect.name, SiteIdentity)
               .values(id=1, key=key, created_at=now).on_conflict_do_nothing(index_elements=[SiteIdentity.id]))
    return db.scalar(select(SiteIdentity.key).where(SiteIdentity.id == 1)) or key


def _when(moment: datetime | None) -> str | None:
    return timestamp(moment) if moment is not None else None


def export(vault: EmailVault, now: datetime) -> Iterator[dict[str, Any]]:
    """The document's parts in order: its head, then ("articles" | "comments" | …, row) pairs, as
    {"part": name, "row": …} items, so that a writer can stream it (`cli.transfer` does)."""
    with writing() as db:
        key = site_key(db, now)
    yield {"head": {"format": FORMAT, "version": VERSION, "site": key, "exported_at": timestamp(now)}}
    db = session()
    for article in db.scalars(select(Article).order_by(Article.id).execution_options(yield_per=BATCH)):
        yield {"part": "articles", "row": {
            "id": article.id, "title": article.title, "url": article.url, "closed": article.closed,
            "premoderation": article.premoderation, "created_at": timestamp(article.created_at),
            "opened_at": _when(article.opened_at)}}
    for comment in db.scalars(select(Comment).order_by(Comment.id).execution_options(yield_per=BATCH)):
        yield {"part": "comments", "row": {
            "id": comment.id, "article_id": comment.article_id, "parent_id": comment.parent_id,
            "status": comment.status, "reason": comment.reason, "name": comment.author_name,
            "website": comment.author_website, "email": vault.open_or_none(comment.email_sealed, comment.email_key_id)
            or None, "ip": comment.ip, "commenter_key_hash": comment.commenter_key_hash, "text": comment.body_text,
            "html": comment.body_html, "created_at": timestamp(comment.created_at),
            "updated_at": timestamp(comment.updated_at), "source": comment.source}}
    for report in db.scalars(select(Report).order_by(Report.id).execution_options(yield_per=BATCH)):
        yield {"part": "reports", "row": {
            "comment_id": report.comment_id, "reader": report.reader, "reason": report.reason, "note": report.note,
            "created_at": timestamp(report.created_at), "dismissed_at": _when(report.dismissed_at)}}
    for word in db.scalars(select(WordEntry).order_by(WordEntry.list, WordEntry.word)):
        yield {"part": "words", "row": {"list": word.list, "word": word.word, "created_at": timestamp(word.created_at)}}
    for block in db.scalars(select(Block).order_by(Block.kind, Block.value)):
        yield {"part": "blocks", "row": {"kind": block.kind, "value": block.value, "note": block.note,
                                         "created_at": timestamp(block.created_at)}}
    for entry in db.scalars(select(AuditEntry).where(AuditEntry.action.not_in(TRANSFER_ACTIONS))
                            .order_by(AuditEntry.id).execution_options(yield_per=BATCH)):
        yield {"part": "audit", "row": {
            "moderator": entry.moderator_name, "action": entry.action, "comment_id": entry.comment_id,
            "article_id": entry.article_id, "detail": entry.detail, "via": entry.via,
            "created_at": timestamp(entry.created_at)}}


PARTS = ("articles", "comments", "reports", "words", "blocks", "audit")


def write(out: IO[str], vault: EmailVault, now: datetime) -> Counter[str]:
    """Write the document to out as it is read from the database, then audit it with its counts
    (as the command line's); rows per part."""
    parts: Counter[str] = Counter()
    for piece in pieces(vault, now, parts):
        out.write(piece)
    audit_export(now, None, ", ".join(f"{parts[part]} {part}" for part in PARTS))
    return parts


def audit_export(now: datetime, by: Moderator | None, detail: str) -> None:
    """Record an export in the audit log (never in the document: see TRANSFER_ACTIONS)."""
    with writing() as db:
        db.add(audit_entry(by, "site_exported", now, detail=detail))


def pieces(vault: EmailVault, now: datetime, parts: Counter[str]) -> Iterator[str]:
    """The document as text, a row at a time (parts counts the rows of each part as they go)."""
    current: str | None = None
    for item in export(vault, now):
        if "head" in item:
            yield "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in item["head"].items())
            continue
        part = item["part"]
        while current != part:  # open the next part (an empty part is still written, as [])
            current, opening = _next_part(current)
            yield opening
        yield ("\n" if not parts[part] else ",\n") + json.dumps(item["row"], ensure_ascii=False)
        parts[part] += 1
    while current != PARTS[-1]:
        current, opening = _next_part(current)
        yield opening
    yield "\n]}\n"


def _next_part(current: str | None) -> tuple[str, str]:
    """The part after current (the first, for None), and the text that closes current's list and opens it."""
    following = PARTS[PARTS.index(current) + 1] if current else PARTS[0]
    return following, ("\n], " if current else ", ") + f'"{following}": ['
