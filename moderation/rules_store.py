"""Storage for the site's rules — word lists, blocks, per-article settings — and purging.

Every edit of the lists or blocks bumps `rules_version` in the same transaction, so each
process recompiles its matchers only when something changed (`current_rules`). Edits a
moderator makes on the web (`by`) are audited in that same transaction too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .database import contains_pattern, session, writing
from .errors import NotFound
from .models import Article, Block, Comment, Moderator, RulesVersion, Status, WordEntry
from .rules import Rules, anonymize_ip, compile_rules
from .rules_input import (
    ArticleDetails, block_detail, details_detail, parse_block, premoderation_detail, words_detail,
)
from .store import audit_entry


def current_rules() -> Rules:
    """The compiled rules, rebuilt only when their version moved."""
    version = session().scalar(select(RulesVersion.version)) or 0
    cached = current_app.extensions.get("moderation.rules")
    if cached is not None and cached[0] == version:
        return cached[1]
    rules = compile_rules(session().execute(select(WordEntry.list, WordEntry.word)).all(),
                          session().execute(select(Block.kind, Block.value)).all())
    current_app.extensions["moderation.rules"] = (version, rules)
    return rules


def _bump(db: Session) -> None:
    """Move the rules' version, first thing in every edit: the row lock this takes makes
    concurrent edits queue (on PostgreSQL as on SQLite) instead of colliding on a constraint."""
    db.execute(update(RulesVersion).values(version=RulesVersion.version + 1))


def _audit(db: Session, by: Moderator | None, action: str, now: datetime, detail: str,
           comment_id: int | None = None, article_id: str | None = None) -> None:
    """Record a change of the rules: by a moderator on the web, or (by=None) on the command line."""
    db.add(audit_entry(by, action, now, "web" if by else "cli", comment_id=comment_id, article_id=article_id,
                       detail=detail))


def words(kind: str | None = None) -> list[WordEntry]:
    """The words on one list (or both), alphabetically."""
    query = select(WordEntry).order_by(WordEntry.list, WordEntry.word)
    return list(session().scalars(query.where(WordEntry.list == kind) if kind else query))


def word_counts() -> dict[str, int]:
    """How many words each list holds."""
    counts = session().execute(select(WordEntry.list, func.count()).group_by(WordEntry.list))
    return {"hold": 0, "spam": 0} | {kind: count for kind, count in counts}


def words_containing(kind: str, text: str, limit: int) -> tuple[list[WordEntry], int]:
    """Up to limit words on a list that contain text (any case), alphabetically; and how many do."""
    where = [WordEntry.list == kind]
    if text:
        where.append(WordEntry.word.ilike(contains_pattern(text), escape="\\"))
    found = list(session().scalars(select(WordEntry).where(*where).order_by(WordEntry.word).limit(limit)))
    total = len(found) if len(found) < limit else session().scalar(select(func.count()).where(*where))
    return found, total or 0


def add_words(kind: str, new_words: Iterable[str], now: datetime, by: Moderator | None = None) -> int:
    """Put words on a list (those already there are skipped); return how many were added."""
    with writing() as db:
        _bump(db)
        present = set(db.scalars(select(WordEntry.word).where(WordEntry.list == kind)))
        fresh = list(dict.fromkeys(w.strip() for w in new_words if w.strip() and w.strip() not in present))
        db.add_all(WordEntry(list=kind, word=word, created_at=now) for word in fresh)
        if fresh:
            _audit(db, by, "word_added", now, words_detail(kind, fresh))
    return len(fresh)


def remove_words(kind: str, old_words: Iterable[str], now: datetime, by: Moderator | None = None) -> int:
    """Take words off a list; return how many were there."""
    with writing() as db:
        _bump(db)
        wanted = [w.strip() for w in old_words]
        gone = list(db.scalars(select(WordEntry.word).where(WordEntry.list == kind, WordEntry.word.in_(wanted))))
        if gone:
            db.execute(delete(WordEntry).where(WordEntry.list == kind, WordEntry.word.in_(gone)))
            _audit(db, by, "word_removed", now, words_detail(kind, gone))
    return len(gone)


def blocks() -> list[Block]:
    """Every block, newest first."""
    return list(session().scalars(select(Block).order_by(Block.id.desc())))


def block_value(kind: str, text: str) -> str:
    """What a block stores for what was typed: the normalized range, or the email's keyed digest.

    ValueError (saying why) when the text is no address, range or email.
    """
    return block_values(kind, text)[0]


def block_values(kind: str, text: str) -> tuple[str, ...]:
    """Every value a block of what was typed may be stored under: an email's digest under the
    current secret key and under each retired one (blocks made before a rotation still count)."""
    target = parse_block(kind, text)
    # The vault lives on the app (intake.vault); importing intake here would be circular.
    return (target,) if kind == "ip" else current_app.extensions["moderation.vault"].digests(target)


def add_block(kind: str, value: str, note: str | None, now: datetime, by: Moderator | None = None,
              about: Comment | None = None) -> bool:
    """Block an address range or an email digest; False when it was already blocked."""
    with writing() as db:
        _bump(db)
        if db.scalar(select(Block.id).where(Block.kind == kind, Block.value == value)) is not None:
            return False
        db.add(Block(kind=kind, value=value, note=note, created_at=now))
        _audit(db, by, "blocked", now, block_detail(kind, value, note),
               about.id if about else None, about.article_id if about else None)
    return True


def remove_block(kind: str, values: Iterable[str], now: datetime, by: Moderator | None = None) -> bool:
    """Lift the block stored under any of values (see block_values); False when there was none."""
    with writing() as db:
        _bump(db)
        found = db.scalars(select(Block).where(Block.kind == kind, Block.value.in_(list(values)))).all()
        for block in found:
            db.delete(block)
            _audit(db, by, "unblocked", now, block_detail(kind, block.value, block.note))
    return bool(found)


def set_premoderation(article_id: str, premoderation: str | None, now: datetime, by: Moderator | None = None) -> bool:
    """Set an article's own pre-moderation (None: the site's); False when it already was so."""
    with writing() as db:
        article = db.get(Article, article_id, with_for_update=True)
        if article is None:
            raise NotFound(f"There is no article {article_id!r}.")
        if article.premoderation == premoderation:
            return False
        _audit(db, by, "premoderation", now, premoderation_detail(premoderation, article.premoderation),
               article_id=article_id)
        article.premoderation = premoderation
    return True


def article(article_id: str) -> Article:
    """The article with this id; NotFound when there is none."""
    found = session().get(Article, article_id)
    if found is None:
        raise NotFound(f"There is no article {article_id!r}.")
    return found


def set_details(article_id: str, title: str | None, url: str | None, now: datetime,
                by: Moderator | None = None) -> bool:
    """Set the title and URL moderators see for an article (None clears), audited; False when already so."""
    with writing() as db:
        found = db.get(Article, article_id, with_for_update=True)
        if found is None:
            raise NotFound(f"There is no article {article_id!r}.")
        new, old = ArticleDetails(title, url), ArticleDetails(found.title, found.url)
        if new == old:
            return False
        _audit(db, by, "article_details", now, details_detail(new, old), article_id=article_id)
        found.title, found.url = title, url
    return True


def set_closed(article_id: str, closed: bool, now: datetime, by: Moderator | None = None) -> bool:
    """Close an article to new comments or reopen it, audited; False when it already was."""
    with writing() as db:
        article = db.get(Article, article_id, with_for_update=True)
        if article is None:
            raise NotFound(f"There is no article {article_id!r}.")
        if article.closed == closed:
            return False
        article.closed = closed
        _audit(db, by, "closed" if closed else "reopened", now, "", article_id=article_id)
    return True


@dataclass(frozen=True)
class Purged:
    """What one purge did."""

    pending: int
    spam: int
    addresses: int


def purge(now: datetime, pending_days: int, spam_days: int, ip_days: int) -> Purged:
    """Delete old pending comments and spam; cut old IP addresses down to their network."""
    with writing() as db:
        counts = [0, 0]
        for position, (status, days) in enumerate(((Status.PENDING, pending_days), (Status.SPAM, spam_days))):
            if days:
                counts[position] = db.execute(delete(Comment).where(
                    Comment.status == status, Comment.created_at < now - timedelta(days=days))).rowcount
        addresses = 0
        if ip_days:
            old = db.execute(select(Comment.id, Comment.ip).where(
                Comment.created_at < now - timedelta(days=ip_days), Comment.ip.is_not(None),
                Comment.ip.not_like("%/%"))).all()
            for comment_id, ip in old:
                db.execute(update(Comment).where(Comment.id == comment_id).values(ip=anonymize_ip(ip)))
            addresses = len(old)
        result = Purged(*counts, addresses)
        db.add(audit_entry(None, "purge", now, "cli", detail=f"{result.pending} pending, {result.spam} spam "
                                                              f"deleted; {result.addresses} IP addresses anonymized"))
    return result
