"""Reading an export back in (`import json FILE`): see `store.dump` for the document and the rules.

Every row is checked for the fields it needs; a row that lacks one, or whose dates cannot be
read, is reported with its position and the rest is restored. Comments are written in id
order (a reply's parent always comes first) in batches of one transaction each.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from moderation.core.privacy import EmailVault
from moderation.core.sanitize import clean
from moderation.core.submissions import ARTICLE_URL_MAX, NAME_MAX, check_website, is_article_id
from moderation.core.status import Status
from moderation.core.times import timestamp
from moderation.store.audit import audit_entry
from moderation.store.database import dialect_insert, writing
from moderation.store.dump import BATCH, FORMAT, VERSION, site_key
from moderation.store.models import Article, AuditEntry, Block, Comment, WordEntry
from moderation.store.report_models import MAX_NOTE, REASONS, Report
from moderation.store.rules import bump_rules
from moderation.store.versions import bump_version
from moderation.transfer.records import SourceError
from moderation.transfer.text import plain_name

STATES = {str(status) for status in Status if status is not Status.DELETED}


@dataclass
class Restored:
    """What a restore did."""

    counts: Counter[str] = field(default_factory=Counter)  # rows written, by part
    already: Counter[str] = field(default_factory=Counter)  # rows found there already, by part
    problems: list[str] = field(default_factory=list)
    same_site: bool = False


def _date(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a date")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def restore(document: Mapping[str, Any], vault: EmailVault, now: datetime) -> Restored:
    """Restore an export into this database; what was written and what was already there."""
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise SourceError(f"This is not an export of this service (its \"format\" is not {FORMAT!r}).")
    if document.get("version") != VERSION:
        raise SourceError(f"This export is of version {document.get('version')!r}; this service reads {VERSION}.")
    done = Restored()
    with writing() as db:
        empty = db.scalar(select(func.count()).select_from(Comment)) == 0
        ours = site_key(db, now, adopt=str(document.get("site")) if empty and document.get("site") else None)
    done.same_site = ours == document.get("site")
    _articles(document.get("articles") or [], done, now)
    ids = _comments(document.get("comments") or [], document.get("site"), vault, done)
    _reports(document.get("reports") or [], ids, done)
    _rules(document.get("words") or [], document.get("blocks") or [], done)
    _audit(document.get("audit") or [], ids, done)
    with writing() as db:
        db.add(audit_entry(None, "site_restored", now, detail=(
            f"{done.counts['comments']} comments, {done.counts['articles']} articles restored; "
            f"{done.already['comments']} comments already there; {len(done.problems)} rows not readable")))
    return done


def _articles(rows: Sequence[Any], done: Restored, now: datetime) -> None:
    with writing() as db:
        known = set(db.scalars(select(Article.id)))
        for position, row in enumerate(rows, 1):
            try:
                if row["id"] in known:
                    done.already["articles"] += 1
                    continue
                if not is_article_id(row["id"]):
                    raise ValueError(f"{row['id']!r} is not an article id")
                db.add(Article(id=row["id"], title=row.get("title"), closed=bool(row.get("closed")),
                               url=check_website(row.get("url") or "", ARTICLE_URL_MAX, add_scheme=False),
                               premoderation=row.get("premoderation"), version=0,
                               created_at=_date(row.get("created_at") or now.isoformat()),
                               opened_at=_date(row["opened_at"]) if row.get("opened_at") else None))
                known.add(row["id"])
                done.counts["articles"] += 1
            except (KeyError, TypeError, ValueError) as error:
                done.problems.append(f"articles, row {position}: {_why(error)}")


def _comments(rows: Sequence[Any], site: object, vault: EmailVault, done: Restored) -> dict[int, int]:
    """Write the comments; their old ids → the ids they have here."""
    ids: dict[int, int] = {}
    ordered = sorted((row for row in rows if isinstance(row, Mapping) and isinstance(row.get("id"), int)),
                     key=lambda row: row["id"])
    if len(ordered) != len(rows):
        done.problems.append(f"comments: {len(rows) - len(ordered)} rows without a numeric id")
    for start in range(0, len(ordered), BATCH):
        with writing() as db:
            _comment_batch(db, ordered[start:start + BATCH], start, site, vault, done, ids)
    if done.same_site:
        with writing() as db:
            _advance_sequence(db)
    return ids


def _comment_batch(db: Session, rows: Sequence[Mapping[str, Any]], start: int, site: object, vault: EmailVault,
                   done: Restored, ids: dict[int, int]) -> None:
    keys = {row["id"]: row.get("source") or f"site:{site}#{row['id']}" for row in rows}
    if done.same_site:
        there = set(db.scalars(select(Comment.id).where(Comment.id.in_(list(keys)))))
        ids.update({old: old for old in there})
    else:
        found = dict(db.execute(select(Comment.source, Comment.id).where(Comment.source.in_(list(keys.values())))).all())
        there = {old for old, key in keys.items() if key in found}
        ids.update({old: found[keys[old]] for old in there})
    articles = set(db.scalars(select(Article.id).where(Article.id.in_({row.get("article_id") for row in rows}))))
    approved: dict[str, datetime] = {}
    for position, row in enumerate(rows, start + 1):
        if row["id"] in there:
            done.already["comments"] += 1
            continue
        try:
            values = _comment_values(row, vault, ids)
            if values["article_id"] not in articles:
                raise ValueError(f"its article {values['article_id']!r} is not in the export")
        except (KeyError, TypeError, ValueError) as error:
            done.problems.append(f"comments, row {position} (id {row['id']}): {_why(error)}")
            continue
        if done.same_site:
            values["id"], values["source"] = row["id"], row.get("source")
        else:
            values["source"] = keys[row["id"]]
        new_id = db.scalar(insert(Comment).values(**values).returning(Comment.id))
        ids[row["id"]] = int(new_id) if new_id is not None else row["id"]
        done.counts["comments"] += 1
        if values["status"] == Status.APPROVED:
            approved[values["article_id"]] = min(approved.get(values["article_id"], values["created_at"]),
                                                 values["created_at"])
    for article_id, first in sorted(approved.items()):
        bump_version(db, article_id, approved_at=first)


def _comment_values(row: Mapping[str, Any], vault: EmailVault, ids: Mapping[int, int]) -> dict[str, Any]:
    """The columns of one exported comment, checked; KeyError, TypeError or ValueError for a bad row."""
    if row["status"] not in STATES:
        raise ValueError(f"its state {row['status']!r} is not one of {', '.join(sorted(STATES))}")
    email = row.get("email") or ""
    if not isinstance(email, str) or not isinstance(row["text"], str) or not isinstance(row["html"], str):
        raise TypeError("its email, text and html must be strings")
    key_hash = row.get("commenter_key_hash")
    sealed, key_id = vault.seal(email)
    parent = row.get("parent_id")
    return {
        "article_id": str(row["article_id"]), "parent_id": ids.get(parent) if isinstance(parent, int) else None,
        "status": row["status"], "reason": row.get("reason"), "author_name": plain_name(str(row["name"]), NAME_MAX),
        "author_website": check_website(row.get("website") or ""), "email_sealed": sealed, "email_key_id": key_id,
        "email_digest": vault.digest(email), "avatar": vault.avatar(email, key_hash or ""),
        # The file may have been edited: its HTML goes through the allow-list again (a no-op on our own).
        "body_text": row["text"], "body_html": clean(row["html"]),
        "body_digest": hashlib.sha256(row["text"].encode()).hexdigest(), "ip": _network(row.get("ip")),
        "commenter_key_hash": key_hash, "created_at": _date(row["created_at"]),
        "updated_at": _date(row.get("updated_at") or row["created_at"]),
    }


def _advance_sequence(db: Session) -> None:
    """After writing ids by hand, PostgreSQL's sequence must move past them (SQLite's AUTOINCREMENT does)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT setval(pg_get_serial_sequence('comments', 'id'), "
                        "GREATEST((SELECT MAX(id) FROM comments), 1))"))


def _rules(words: Sequence[Any], blocks: Sequence[Any], done: Restored) -> None:
    with writing() as db:
        bump_rules(db)
        dialect = db.get_bind().dialect.name
        for part, model, rows, unique in (("words", WordEntry, words, ["list", "word"]),
                                          ("blocks", Block, blocks, ["kind", "value"])):
            for position, row in enumerate(rows, 1):
                try:
                    values = {name: row[name] for name in unique} | {"created_at": _date(row["created_at"])}
                    if part == "blocks":
                        values["note"] = row.get("note")
                    written = db.scalar(dialect_insert(dialect, model).values(**values)
                                        .on_conflict_do_nothing(index_elements=unique).returning(model.id))
                except (KeyError, TypeError, ValueError) as error:
                    done.problems.append(f"{part}, row {position}: {_why(error)}")
                    continue
                (done.counts if written is not None else done.already)[part] += 1


def _reports(rows: Sequence[Any], ids: Mapping[int, int], done: Restored) -> None:
    """Readers' reports of the comments restored (or found there): one per reader and comment, as ever."""
    with writing() as db:
        dialect = db.get_bind().dialect.name
        for position, row in enumerate(rows, 1):
            try:
                values = _report_values(row, ids)
            except (KeyError, TypeError, ValueError) as error:
                done.problems.append(f"reports, row {position}: {_why(error)}")
                continue
            written = db.scalar(dialect_insert(dialect, Report).values(**values).on_conflict_do_nothing(
                index_elements=[Report.comment_id, Report.reader]).returning(Report.id))
            (done.counts if written is not None else done.already)["reports"] += 1


def _report_values(row: Mapping[str, Any], ids: Mapping[int, int]) -> dict[str, Any]:
    """The columns of one exported report, checked; KeyError, TypeError or ValueError for a bad row."""
    comment_id = ids.get(row["comment_id"]) if isinstance(row["comment_id"], int) else None
    if comment_id is None:
        raise ValueError(f"its comment {row['comment_id']!r} is not in the export")
    reader, reason, note = row["reader"], row["reason"], row.get("note")
    if not isinstance(reader, str) or not 1 <= len(reader) <= 64 or reason not in REASONS:
        raise ValueError("its reader must be a digest and its reason one of " + ", ".join(REASONS))
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise ValueError(f"its note must be a text of at most {MAX_NOTE} characters")
    return {"comment_id": comment_id, "reader": reader, "reason": reason, "note": note,
            "created_at": _date(row["created_at"]),
            "dismissed_at": _date(row["dismissed_at"]) if row.get("dismissed_at") else None}


def _audit(rows: Sequence[Any], ids: Mapping[int, int], done: Restored) -> None:
    with writing() as db:
        there = {(timestamp(e.created_at), e.action, e.moderator_name, e.detail) for e in db.scalars(select(AuditEntry))}
        for position, row in enumerate(rows, 1):
            try:
                entry = AuditEntry(moderator_id=None, moderator_name=str(row["moderator"]), action=str(row["action"]),
                                   comment_id=ids.get(row["comment_id"], row["comment_id"])
                                   if isinstance(row.get("comment_id"), int) else None,
                                   article_id=row.get("article_id"), detail=row.get("detail"), via=str(row["via"]),
                                   created_at=_date(row["created_at"]))
            except (KeyError, TypeError, ValueError) as error:
                done.problems.append(f"audit, row {position}: {_why(error)}")
                continue
            if (timestamp(entry.created_at), entry.action, entry.moderator_name, entry.detail) in there:
                done.already["audit"] += 1
                continue
            db.add(entry)
            done.counts["audit"] += 1


def _network(value: object) -> str | None:
    """An IP address, or the network a retention purge cut it to; None for anything else."""
    try:
        return str(value) if isinstance(value, str) and ipaddress.ip_network(value, strict=False) else None
    except ValueError:
        return None


def _why(error: Exception) -> str:
    return f"it has no {error.args[0]!r}" if isinstance(error, KeyError) else str(error)
