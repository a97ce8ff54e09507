"""Storage for the site's rules: the hold and spam word lists and the blocks.

Every edit bumps `rules_version` in the same transaction, so each process recompiles its
matchers only when something changed (`current_rules`). Edits are audited in that same
transaction too: by the moderator who made them on the web, or as the command line's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from moderation.core.rule_input import block_detail, parse_block, words_detail
from moderation.core.wordlists import Rules, compile_rules
from moderation.shared import shared
from moderation.store.audit import audit_entry
from moderation.store.database import contains_pattern, session, writing
from moderation.store.models import Block, Comment, Moderator, RulesVersion, WordEntry


class RulesCache:
    """One process's compiled rules, and the rules_version they were compiled at."""

    def __init__(self) -> None:
        self._compiled: tuple[int, Rules] | None = None

    def at(self, version: int, compile_them: Callable[[], Rules]) -> Rules:
        """The rules of this version: the cached ones, or freshly compiled."""
        compiled = self._compiled  # one read: another thread may replace it meanwhile
        if compiled is None or compiled[0] != version:
            compiled = self._compiled = (version, compile_them())
        return compiled[1]


def current_rules() -> Rules:
    """The compiled rules, rebuilt only when their version moved."""
    version = session().scalar(select(RulesVersion.version)) or 0
    return shared().rules.at(version, lambda: compile_rules(
        session().execute(select(WordEntry.list, WordEntry.word)).all(),
        session().execute(select(Block.kind, Block.value)).all()))


def bump_rules(db: Session) -> None:
    """Move the rules' version, first thing in every edit: the row lock this takes makes
    concurrent edits queue (on PostgreSQL as on SQLite) instead of colliding on a constraint."""
    db.execute(update(RulesVersion).values(version=RulesVersion.version + 1))


def _audit(db: Session, by: Moderator | None, action: str, now: datetime, detail: str,
           comment_id: int | None = None, article_id: str | None = None) -> None:
    """Record a change of the rules: by a moderator on the web, or (by=None) on the command line."""
    db.add(audit_entry(by, action, now, comment_id=comment_id, article_id=article_id, detail=detail))


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
        bump_rules(db)
        present = set(db.scalars(select(WordEntry.word).where(WordEntry.list == kind)))
        fresh = list(dict.fromkeys(w.strip() for w in new_words if w.strip() and w.strip() not in present))
        db.add_all(WordEntry(list=kind, word=word, created_at=now) for word in fresh)
        if fresh:
            _audit(db, by, "word_added", now, words_detail(kind, fresh))
    return len(fresh)


def remove_words(kind: str, old_words: Iterable[str], now: datetime, by: Moderator | None = None) -> int:
    """Take words off a list; return how many were there."""
    with writing() as db:
        bump_rules(db)
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
    return (target,) if kind == "ip" else shared().vault.digests(target)


def add_block(kind: str, value: str, note: str | None, now: datetime, by: Moderator | None = None,
              about: Comment | None = None) -> bool:
    """Block an address range or an email digest; False when it was already blocked."""
    with writing() as db:
        bump_rules(db)
        if db.scalar(select(Block.id).where(Block.kind == kind, Block.value == value)) is not None:
            return False
        db.add(Block(kind=kind, value=value, note=note, created_at=now))
        _audit(db, by, "blocked", now, block_detail(kind, value, note),
               about.id if about else None, about.article_id if about else None)
    return True


def remove_block(kind: str, values: Iterable[str], now: datetime, by: Moderator | None = None) -> bool:
    """Lift the block stored under any of values (see block_values); False when there was none."""
    with writing() as db:
        bump_rules(db)
        found = db.scalars(select(Block).where(Block.kind == kind, Block.value.in_(list(values)))).all()
        for block in found:
            db.delete(block)
            _audit(db, by, "unblocked", now, block_detail(kind, block.value, block.note))
    return bool(found)
