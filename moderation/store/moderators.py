"""Moderators, their API tokens and their log-in sessions.

Only hashes are stored: of each token (a fast SHA-256 of 256 random bits) and of each
session's secret; passwords as salted scrypt (see `core.credentials`). Removing a
moderator ends their sessions and tokens at once (the rows cascade); the audit log keeps
their name on what they did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from moderation.core.credentials import ADMIN, MODERATOR
from moderation.errors import ApiError, NotFound, ValidationFailed
from moderation.store.audit import audit_entry
from moderation.store.database import locked, session, writing
from moderation.store.models import ApiToken, Moderator, ModeratorSession

TOKEN_SEEN_EVERY = timedelta(minutes=1)  # a token's last use is written at most this often


class NameTaken(ValidationFailed):
    """Another moderator has this name already."""

    def __init__(self) -> None:
        super().__init__({"name": "is already taken by another moderator"},
                         "Another moderator has this name already; nothing was changed.")


class LastAdmin(ApiError):
    """Removing (or demoting) this moderator would leave the site with no admin."""

    status, code = 409, "last_admin"
    message = "This is the site's only admin; make another admin first."


def live(now: datetime) -> Any:
    """The condition a token must meet to be used: not expired."""
    return or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now)


def moderator_by_token(hashed: str, now: datetime) -> Moderator | None:
    """The moderator who owns a live token with this hash; the token's last use is noted (once a minute)."""
    row = session().execute(select(Moderator, ApiToken.id, ApiToken.last_used_at)
                            .join(ApiToken, ApiToken.moderator_id == Moderator.id)
                            .where(ApiToken.token_hash == hashed, live(now))).first()
    if row is None:
        return None
    moderator, token_id, last_used = row
    if last_used is None or now - last_used >= TOKEN_SEEN_EVERY:
        with writing() as db:
            db.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return moderator


def moderator_by_name(name: str) -> Moderator | None:
    """A moderator by log-in name."""
    return session().scalars(select(Moderator).where(Moderator.name == name)).first()


def save_moderator(name: str, password_hash: str, now: datetime, role: str | None = None,
                   by: Moderator | None = None) -> tuple[Moderator, bool]:
    """Create a moderator (see create_moderator), or set the password, and the role if given,
    of an existing one; audited. Returns it, and True when created."""
    with writing() as db:
        admins = _admins(db) if role == MODERATOR else set()
        moderator = db.scalars(select(Moderator).where(Moderator.name == name).with_for_update()).first()
        if moderator is not None:
            moderator.password_hash = password_hash
            detail = f"{name}: password set"
            if role is not None and role != moderator.role:
                _keep_an_admin(admins, moderator)
                detail += f"; role {role} (was {moderator.role})"
                moderator.role = role
            db.add(audit_entry(by, "moderator_changed", now, detail=detail))
            return moderator, False
    return create_moderator(name, password_hash, now, role, by), True


def create_moderator(name: str, password_hash: str, now: datetime, role: str | None,
                     by: Moderator | None = None) -> Moderator:
    """Add a new moderator, audited; NameTaken when the name is in use.

    The role given, or else `moderator` — but a site's first one is an admin (somebody must
    be able to manage the rest). The database's unique name decides, so two admins adding
    the same name at once cannot both pass a check and then reset the other's password.
    """
    try:
        with writing() as db:
            first = role is None and db.scalar(select(func.count()).select_from(Moderator)) == 0
            moderator = Moderator(name=name, password_hash=password_hash, created_at=now,
                                  role=role or (ADMIN if first else MODERATOR))
            db.add(moderator)
            db.flush()
            db.add(audit_entry(by, "moderator_created", now, detail=f"{name} ({moderator.role})"))
    except IntegrityError:
        raise NameTaken() from None
    return moderator


def _admins(db: Any) -> set[int]:
    """Every admin's id, their rows locked in one order, first of all in a transaction that may
    take an admin away: two admins removing each other at once then queue here, and the second
    finds the first gone instead of each counting the other."""
    return set(db.scalars(select(Moderator.id).where(Moderator.role == ADMIN)
                          .order_by(Moderator.id).with_for_update()))


def _keep_an_admin(admins: set[int], leaving: Moderator) -> None:
    """Raise LastAdmin when `leaving` is the only admin among `admins`."""
    if leaving.role == ADMIN and not admins - {leaving.id}:
        raise LastAdmin()


def delete_moderator(moderator_id: int, now: datetime, by: Moderator | None = None) -> Moderator:
    """Remove a moderator: their sessions and tokens end with the row; what they did stays in the audit log."""
    with writing() as db:
        admins = _admins(db)
        moderator = locked(db, Moderator, moderator_id, "There is no such moderator.")
        _keep_an_admin(admins, moderator)
        # The tokens are deleted here to count them for the log; the sessions go with the row (ON DELETE CASCADE).
        tokens = _delete(db, delete(ApiToken).where(ApiToken.moderator_id == moderator.id))
        db.delete(moderator)
        db.add(audit_entry(by, "moderator_removed", now,
                           detail=f"{moderator.name} ({moderator.role}); {tokens} token(s) revoked"))
    return moderator


def _delete(db: Any, statement: Any) -> int:
    """Run a DELETE; how many rows it removed."""
    return cast(CursorResult[Any], db.execute(statement)).rowcount


def moderators(now: datetime) -> list[tuple[Moderator, int]]:
    """Every moderator by name, with how many live tokens each holds."""
    tokens = (select(ApiToken.moderator_id, func.count().label("tokens")).where(live(now))
              .group_by(ApiToken.moderator_id).subquery())
    query = (select(Moderator, func.coalesce(tokens.c.tokens, 0))
             .outerjoin(tokens, tokens.c.moderator_id == Moderator.id).order_by(Moderator.name))
    return [(moderator, count) for moderator, count in session().execute(query)]


@dataclass(frozen=True)
class NewToken:
    """What a new token's row says besides its hash."""

    label: str | None = None
    expires_at: datetime | None = None


def add_token(moderator: Moderator, hashed: str, now: datetime, new: NewToken = NewToken(),
              by: Moderator | None = None) -> ApiToken:
    """Store a new API token's hash; audited (its id and label, never the secret)."""
    with writing() as db:
        token = ApiToken(moderator_id=moderator.id, token_hash=hashed, created_at=now, label=new.label,
                         expires_at=new.expires_at)
        db.add(token)
        db.flush()
        db.add(audit_entry(by, "token_created", now, detail=_token_detail(moderator.name, token)))
    return token


def _token_detail(owner: str, token: ApiToken) -> str:
    return f"token {token.id} of {owner}" + (f" ({token.label})" if token.label else "")


def tokens_of(moderator_id: int) -> Sequence[ApiToken]:
    """A moderator's tokens, oldest first, expired ones too."""
    return session().scalars(select(ApiToken).where(ApiToken.moderator_id == moderator_id)
                             .order_by(ApiToken.id)).all()


def live_tokens(moderator_id: int, now: datetime) -> Sequence[ApiToken]:
    """A moderator's tokens that still work, oldest first."""
    return session().scalars(select(ApiToken).where(ApiToken.moderator_id == moderator_id, live(now))
                             .order_by(ApiToken.id)).all()


def revoke_token(token_id: int, now: datetime, by: Moderator | None = None,
                 owner_id: int | None = None) -> ApiToken:
    """End one token at once; audited. NotFound when there is none (or it is not owner_id's)."""
    with writing() as db:
        token = db.get(ApiToken, token_id, with_for_update=True)
        if token is None or (owner_id is not None and token.moderator_id != owner_id):
            raise NotFound(f"There is no token {token_id}.")
        owner = db.get(Moderator, token.moderator_id)
        db.delete(token)
        db.add(audit_entry(by, "token_revoked", now, detail=_token_detail(owner.name if owner else "?", token)))
    return token


def revoke_tokens_of(moderator: Moderator, now: datetime, by: Moderator | None = None) -> int:
    """End every token of a moderator at once; how many there were (audited when any)."""
    with writing() as db:
        count = _delete(db, delete(ApiToken).where(ApiToken.moderator_id == moderator.id))
        if count:
            db.add(audit_entry(by, "token_revoked", now, detail=f"all {count} token(s) of {moderator.name}"))
    return count


def moderator_names() -> list[str]:
    """Every moderator's name, for the audit log's filter."""
    return list(session().scalars(select(Moderator.name).order_by(Moderator.name)))


def open_session(key: str, moderator: Moderator, password_fp: str, now: datetime, oldest: datetime) -> None:
    """Record a new log-in, and when (forget sessions older than `oldest`, which have expired)."""
    with writing() as db:
        db.execute(delete(ModeratorSession).where(ModeratorSession.created_at < oldest))
        db.execute(update(Moderator).where(Moderator.id == moderator.id).values(last_login_at=now))
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


def change_password(moderator: Moderator, password_hash: str, key: str, password_fp: str, now: datetime,
                    revoke_tokens: bool = False) -> int:
    """Set a new password, end every session of the moderator but a new one for this browser, and
    every token too when asked; audited. How many tokens were revoked."""
    with writing() as db:
        db.execute(update(Moderator).where(Moderator.id == moderator.id).values(password_hash=password_hash))
        db.execute(delete(ModeratorSession).where(ModeratorSession.moderator_id == moderator.id))
        db.add(ModeratorSession(id=key, moderator_id=moderator.id, password_fp=password_fp, created_at=now))
        revoked = _delete(db, delete(ApiToken).where(ApiToken.moderator_id == moderator.id)) if revoke_tokens else 0
        db.add(audit_entry(moderator, "password", now, detail="changed own password; other sessions ended"
                           + (f"; {revoked} token(s) revoked" if revoked else "")))
    return revoked
