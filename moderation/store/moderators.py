"""Moderators, their API tokens and their log-in sessions.

Only hashes are stored: of each token (a fast SHA-256 of 256 random bits) and of each
session's secret; passwords as salted scrypt (see `core.credentials`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from moderation.store.audit import audit_entry
from moderation.store.database import session, writing
from moderation.store.models import ApiToken, Moderator, ModeratorSession


def moderator_by_token(hashed: str) -> Moderator | None:
    """The moderator who owns a token hash."""
    query = select(Moderator).join(ApiToken, ApiToken.moderator_id == Moderator.id).where(
        ApiToken.token_hash == hashed)
    return session().scalars(query).first()


def moderator_by_name(name: str) -> Moderator | None:
    """A moderator by log-in name."""
    return session().scalars(select(Moderator).where(Moderator.name == name)).first()


def save_moderator(name: str, password_hash: str, now: datetime) -> bool:
    """Create a moderator or set the password of an existing one; True when created."""
    with writing() as db:
        moderator = db.scalars(select(Moderator).where(Moderator.name == name)).first()
        if moderator is not None:
            moderator.password_hash = password_hash
            return False
        db.add(Moderator(name=name, password_hash=password_hash, created_at=now))
        return True


def add_token(moderator_id: int, hashed: str, now: datetime) -> None:
    """Store a new API token's hash."""
    with writing() as db:
        db.add(ApiToken(moderator_id=moderator_id, token_hash=hashed, created_at=now))


def moderator_names() -> list[str]:
    """Every moderator's name, for the audit log's filter."""
    return list(session().scalars(select(Moderator.name).order_by(Moderator.name)))


def open_session(key: str, moderator: Moderator, password_fp: str, now: datetime, oldest: datetime) -> None:
    """Record a new log-in (and forget sessions older than `oldest`, which have expired)."""
    with writing() as db:
        db.execute(delete(ModeratorSession).where(ModeratorSession.created_at < oldest))
        db.add(ModeratorSession(id=key, moderator_id=moderator.id, password_fp=password_fp, created_at=now))


def session_login(key: str) -> tuple[Moderator, ModeratorSession] | None:
    """The moderator and the log-in record a session key belongs to."""
    row = session().execute(select(Moderator, ModeratorSession)
                            .join(ModeratorSession, ModeratorSession.moderator_id == Moderator.id)
                            .where(ModeratorSession.id == key)).first()
    return (row[0], row[1]) if row else None


def close_session(key: str) -> None:
    """End one log-in."""
    with writing() as db:
        db.execute(delete(ModeratorSession).where(ModeratorSession.id == key))


def change_password(moderator: Moderator, password_hash: str, key: str, password_fp: str, now: datetime) -> None:
    """Set a new password, end every session of the moderator but a new one for this browser, audit."""
    with writing() as db:
        db.execute(update(Moderator).where(Moderator.id == moderator.id).values(password_hash=password_hash))
        db.execute(delete(ModeratorSession).where(ModeratorSession.moderator_id == moderator.id))
        db.add(ModeratorSession(id=key, moderator_id=moderator.id, password_fp=password_fp, created_at=now))
        db.add(audit_entry(moderator, "password", now, detail="changed own password; other sessions ended"))
