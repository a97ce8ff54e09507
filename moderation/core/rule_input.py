"""PURE: what may go on the word lists and blocks, as typed on the rules page or the command line.

Checks and normalizes words, block targets, notes, an article's pre-moderation and its
title and URL, and says in words what changed, for the audit log. No Flask, no database, no clock: both the
moderator pages and `flask words|blocks|article` call these, so they refuse the same things.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from moderation.core.addresses import parse_network
from moderation.core.policy import Premoderation
from moderation.core.submissions import ARTICLE_URL_MAX, _optional_url, _title, normalize_email
from moderation.errors import ValidationFailed

LISTS = ("hold", "spam")
BLOCK_KINDS = ("ip", "email")
DEFAULT = "default"  # an article with no pre-moderation of its own follows MODERATION_PREMODERATION
PREMODERATION_CHOICES = (DEFAULT, *(str(choice) for choice in Premoderation))
WORD_MAX = NOTE_MAX = 200  # the sizes of their columns
DETAIL_MAX = 500  # the audit log's detail column
DIGEST_SHOWN = 4  # hex digits of an email block's digest that moderators see
SHOWN_MAX = 40  # characters of a refused value quoted back in a message
DETAILS_SHOWN = 100  # characters of a title or URL in the audit log: four of them fit in DETAIL_MAX


def _quoted(text: str, limit: int = SHOWN_MAX) -> str:
    """A value quoted in a message, shortened when long."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _control(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def parse_words(candidates: Iterable[str]) -> list[str]:
    """Words or phrases to list, trimmed and NFC-normalized, each once; ValueError naming the bad one."""
    words: list[str] = []
    for candidate in candidates:
        word = unicodedata.normalize("NFC", candidate).strip()
        if not word:
            continue
        if len(word) > WORD_MAX:
            raise ValueError(f"each word or phrase may be at most {WORD_MAX} characters; "
                             f"{_quoted(word)} has {len(word)}")
        if _control(word):
            raise ValueError(f"{_quoted(word)} contains a control character such as a tab")
        if word not in words:
            words.append(word)
    if not words:
        raise ValueError("enter at least one word or phrase")
    return words


def parse_list(name: str | None) -> str:
    """A word list's name, hold or spam."""
    if name not in LISTS:
        raise ValidationFailed({"list": "must be hold or spam"}, "Choose the hold list or the spam list.")
    return name


def block_kind(text: str) -> str:
    """What a typed block target is: an email when it has an @, else an address or range."""
    return "email" if "@" in text else "ip"


def parse_block(kind: str, text: str) -> str:
    """A block target normalized: the network as a string, or the email address; ValueError if bad."""
    text = text.strip()
    if not text:
        raise ValueError("enter an IP address, a CIDR range or an email address")
    if kind == "ip":
        try:
            return str(parse_network(text))
        except ValueError:
            # ipaddress only ever says "does not appear to be an IPv4 or IPv6 network": no more to add.
            raise ValueError(f"{_quoted(text)} is not an IP address or CIDR range") from None
    try:
        return normalize_email(text)
    except ValueError as error:
        # normalize_email speaks to a commenter ("is not a valid email address: …"); keep only its reason.
        reason = str(error).removeprefix("is not a valid email address: ")
        raise ValueError(f"{_quoted(text)} is not an email address ({reason})") from None


def parse_note(text: str | None) -> str | None:
    """A block's note: trimmed, None when empty; ValueError when too long or holding control characters."""
    note = unicodedata.normalize("NFC", text or "").strip()
    if len(note) > NOTE_MAX:
        raise ValueError(f"may be at most {NOTE_MAX} characters (this one has {len(note)})")
    if _control(note):
        raise ValueError("must be one line, without control characters")
    return note or None


@dataclass(frozen=True)
class BlockInput:
    """A block as typed on the rules page, checked: its kind, normalized target and note."""

    kind: str
    target: str
    note: str | None


def parse_block_form(value: str, note: str) -> BlockInput:
    """The rules page's block form; raise ValidationFailed naming every bad field (value, note)."""
    errors: dict[str, str] = {}
    kind, target, checked_note = block_kind(value), "", None
    try:
        target = parse_block(kind, value)
    except ValueError as error:
        errors["value"] = str(error)
    try:
        checked_note = parse_note(note)
    except ValueError as error:
        errors["note"] = str(error)
    if errors:
        raise ValidationFailed(errors, "The block was not added.")
    return BlockInput(kind, target, checked_note)


def parse_premoderation(choice: str | None) -> str | None:
    """An article's own pre-moderation (all, first-time, none), or None for the site's default."""
    if choice not in PREMODERATION_CHOICES:
        raise ValidationFailed({"premoderation": "must be one of " + ", ".join(PREMODERATION_CHOICES)},
                               "Choose default, all, first-time or none.")
    return None if choice == DEFAULT else choice


def parse_title(text: object) -> str | None:
    """An article's title as moderators see it: NFC, trimmed, None when empty; ValueError if bad."""
    return _title(text)  # the submission rule, so a typed title obeys what a submitted one does


def parse_article_url(text: object) -> str | None:
    """An article's address: an absolute http(s) URL, None when empty; ValueError if bad."""
    return _optional_url(text, ARTICLE_URL_MAX, False)


@dataclass(frozen=True)
class ArticleDetails:
    """An article's title and URL, either of them None when there is none."""

    title: str | None
    url: str | None


def parse_article_details(title: str | None, url: str | None) -> ArticleDetails:
    """The articles page's title and URL form; raise ValidationFailed naming every bad field (title, url)."""
    errors: dict[str, str] = {}
    checked: dict[str, str | None] = {}
    for field, text, check in (("title", title, parse_title), ("url", url, parse_article_url)):
        if text is None:  # a form without the field would otherwise clear it silently
            errors[field] = "was not sent (send it empty to clear it)"
            continue
        try:
            checked[field] = check(text)
        except ValueError as error:
            errors[field] = str(error)
    if errors:
        raise ValidationFailed(errors, "The article's title and URL were not changed.")
    return ArticleDetails(checked["title"], checked["url"])


def describe_block(kind: str, value: str) -> str:
    """A stored block as moderators read it: the range, or an email by the end of its keyed digest."""
    return value if kind == "ip" else f"email (digest …{value[-DIGEST_SHOWN:]})"


def _clip(text: str, tail: str = "…") -> str:
    return text if len(text) <= DETAIL_MAX else text[:DETAIL_MAX - len(tail)] + tail


def words_detail(kind: str, words: Sequence[str]) -> str:
    """The audit log's detail for words put on or taken off a list."""
    listed = ", ".join(f"'{word}'" for word in words)
    return _clip(f"{kind} list: {listed}", f"… ({len(words)} in all)")


def block_detail(kind: str, value: str, note: str | None) -> str:
    """The audit log's detail for a block added or lifted."""
    return _clip(describe_block(kind, value) + (f"; note: {note}" if note else ""))


def premoderation_detail(new: str | None, old: str | None) -> str:
    """The audit log's detail for an article's pre-moderation changed."""
    return f"pre-moderation {new or DEFAULT} (was {old or DEFAULT})"


def details_detail(new: ArticleDetails, old: ArticleDetails) -> str:
    """The audit log's detail for an article's title or URL changed (only what changed)."""
    def shown(value: str | None) -> str:
        return "none" if value is None else _quoted(value, DETAILS_SHOWN)

    changes = [f"{name} {shown(after)} (was {shown(before)})"
               for name, after, before in (("title", new.title, old.title), ("url", new.url, old.url))
               if after != before]
    return _clip("; ".join(changes))
