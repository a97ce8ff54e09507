"""PURE: what erasing a reader's data (GDPR article 17) leaves behind, and how it reads.

Which of their comments must stay as placeholders so the replies to them keep their place,
what an erased comment's columns hold instead of the person, and the counts an operator
and the audit log are told (never the address). No Flask, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from moderation.core.avatars import AVATAR_DIGEST_LENGTH

ANONYMOUS = "Anonymous"
ERASED_TEXT = "This comment was erased at its author's request."
ERASED_HTML = f"<p>{ERASED_TEXT}</p>"
ERASED_REASON = "its author's data was erased at their request"
# The email columns are NOT NULL: nothing sealed, no key, no digest. No address digests to
# "", so no look-up (export, queue search, blocks, returning authors) ever finds them again.
ERASED_SEALED, ERASED_KEY_ID, ERASED_DIGEST = b"", "", ""
# One picture for every erased author: it derives from nobody's address.
ERASED_AVATAR = "0" * AVATAR_DIGEST_LENGTH
ERASED_DETAIL = "email (erased)"  # what an audit entry that named the address says instead


def is_erased(email_key_id: str) -> bool:
    """True for a comment whose author's data was erased (it has no sealed email any more)."""
    return email_key_id == ERASED_KEY_ID


def author_note(comment_id: int, name: str) -> str:
    """The note of a block made from a comment in the queue (it names the comment's author)."""
    return f"comment {comment_id} by {name}"


def erased_note(comment_id: int) -> str:
    """What that note says once the comment's author was erased."""
    return f"comment {comment_id} (author erased)"


def placeholders(own: Collection[int], replies: Iterable[tuple[int, int]]) -> set[int]:
    """Of a person's comments (own), those that must stay, text erased, because a comment that
    stays answers them; replies: (id, parent_id) of every comment whose parent is one of own.

    A reply by someone else stays, and so does each of the person's comments above it in the
    thread: deleting one would SET NULL its replies' parent_id and lose their place.
    """
    parent_of = dict(replies)
    kept: set[int] = set()
    for reply in parent_of:
        if reply in own:
            continue
        parent: int | None = parent_of[reply]
        while parent is not None and parent in own and parent not in kept:
            kept.add(parent)
            parent = parent_of.get(parent)
    return kept


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass(frozen=True)
class Erasure:
    """What an erasure does (or did) to one address's data: counts only."""

    deleted: int = 0  # comments deleted
    anonymous: int = 0  # kept with their text, as by "Anonymous" (keep_text)
    placeholders: int = 0  # kept, text erased too, because others reply to them
    blocks: int = 0  # email blocks lifted
    audit_entries: int = 0  # audit entries whose detail named the address, made neutral

    @property
    def comments(self) -> int:
        """How many comments of the person there are (or were)."""
        return self.deleted + self.anonymous + self.placeholders

    @property
    def anything(self) -> bool:
        """True when something is stored about the address."""
        return bool(self.comments or self.blocks)

    def stored(self) -> str:
        """What is stored, as an operator reads it: "3 comments and 1 block"."""
        return f"{_plural(self.comments, 'comment')} and {_plural(self.blocks, 'block')}"

    def describe(self) -> str:
        """What erasing does, for the operator and the audit log: "2 comments deleted, 1 block lifted"."""
        if not self.anything:
            return "nothing was stored"
        parts = [f"{_plural(self.deleted, 'comment')} deleted"] if self.deleted or not self.comments else []
        if self.anonymous:
            parts.append(f"{self.anonymous} kept as {ANONYMOUS} with {'its' if self.anonymous == 1 else 'their'} text")
        if self.placeholders:
            parts.append(f"{self.placeholders} kept as {ANONYMOUS}, text erased, for the replies to "
                         + ("it" if self.placeholders == 1 else "them"))
        parts.append(f"{_plural(self.blocks, 'block')} lifted")
        if self.audit_entries:
            entries = "entry" if self.audit_entries == 1 else "entries"
            parts.append(f"{self.audit_entries} audit {entries} made neutral")
        return ", ".join(parts)
