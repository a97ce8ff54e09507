"""PURE: parse and validate a comment submission, reporting every bad field at once.

No Flask, no database, no clock. Text is normalized to NFC and checked against the
contract's limits, which reject rather than truncate. Rendering lives in `sanitize`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar, cast
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from moderation.errors import ValidationFailed

ARTICLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")
SURROGATE = re.compile("[\ud800-\udfff]")
BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters that may not stand unencoded in a URL (RFC 3986 plus what browsers mangle).
URL_FORBIDDEN = re.compile(r"[\s\"'<>`{}|\\^\x00-\x1f\x7f]")
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
HOST_AND_PORT = re.compile(r"[^:/?#]+:\d+(?:[/?#]|$)")

NAME_MAX, BODY_MAX, EMAIL_MAX, WEBSITE_MAX = 100, 5000, 254, 200
TITLE_MAX, ARTICLE_URL_MAX = 300, 2000
MAX_ID = 2**31 - 1  # PostgreSQL's integer

T = TypeVar("T")


@dataclass(frozen=True)
class Submission:
    """A valid submission: every text normalized, the email normalized, URLs absolute."""

    name: str
    email: str
    website: str | None
    body: str
    parent_id: int | None
    article_title: str | None
    article_url: str | None
    honeypot: bool
    notify_replies: bool = False  # the reader asks to hear of approved replies (double opt-in)
    notify_approval: bool = False  # …and of this comment's own approval


def is_article_id(value: object) -> bool:
    """True for 1–128 letters, digits and . _ ~ - starting with a letter or digit."""
    return isinstance(value, str) and ARTICLE_ID.fullmatch(value) is not None


def parse_submission(data: Mapping[str, object]) -> Submission:
    """Validate a submission's fields; raise ValidationFailed naming every bad one."""
    errors: dict[str, str] = {}

    def field(name: str, check: Callable[..., T], *args: object) -> T:
        try:
            return check(data.get(name), *args)
        except ValueError as error:
            errors[name] = str(error)
            return cast(T, None)  # a placeholder that never leaves: any error raises below

    submission = Submission(
        name=field("name", _name),
        email=field("email", normalize_email),
        website=field("website", _optional_url, WEBSITE_MAX, True),
        body=field("body", _body),
        parent_id=field("parent_id", _parent_id),
        article_title=field("article_title", _title),
        article_url=field("article_url", _optional_url, ARTICLE_URL_MAX, False),
        honeypot=bool(field("hp", _honeypot)),
        notify_replies=bool(field("notify_replies", _flag)),
        notify_approval=bool(field("notify_approval", _flag)),
    )
    if errors:
        raise ValidationFailed(errors)
    return submission


def _text(value: object, required: bool) -> str:
    """A string, NFC-normalized and trimmed; missing or non-strings are errors."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if not value.isascii() and SURROGATE.search(value):  # a lone "\ud800" escape in the JSON
        raise ValueError("must be valid Unicode text")
    text = unicodedata.normalize("NFC", value).strip()
    if required and not text:
        raise ValueError("is required")
    return text


def _check_length(text: str, maximum: int) -> str:
    if len(text) > maximum:
        raise ValueError(f"must be at most {maximum} characters (it has {len(text)})")
    return text


def _name(value: object) -> str:
    name = _check_length(_text(value, required=True), NAME_MAX)
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ValueError("must not contain control characters such as tabs or line breaks")
    if any(char in BIDI_OVERRIDES for char in name):
        raise ValueError("must not contain bidirectional override characters")
    return name


def normalize_email(value: object) -> str:
    """A valid email address, normalized; ValueError otherwise."""
    email = _check_length(_text(value, required=True), EMAIL_MAX)
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"is not a valid email address: {error}") from None


def _body(value: object) -> str:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    body = _check_length(_text(value, required=True), BODY_MAX)
    if any(unicodedata.category(char) == "Cc" and char not in "\n\t" for char in body):
        raise ValueError("must not contain control characters other than line breaks and tabs")
    return body


def _title(value: object) -> str | None:
    title = _check_length(_text(value, required=False), TITLE_MAX)
    if any(unicodedata.category(char) == "Cc" for char in title):
        raise ValueError("must not contain control characters")
    if any(char in BIDI_OVERRIDES for char in title):  # they could reorder a moderator's page
        raise ValueError("must not contain bidirectional override characters")
    return title or None


def _optional_url(value: object, maximum: int, add_scheme: bool) -> str | None:
    """Empty, or an absolute http(s) URL; a bare host gets http:// when add_scheme."""
    url = _text(value, required=False)
    if not url:
        return None
    if URL_FORBIDDEN.search(url):
        raise ValueError("contains characters that are not allowed in a web address (spaces, quotes, < or >)")
    has_scheme = SCHEME.match(url) and not HOST_AND_PORT.match(url)
    if not has_scheme and add_scheme:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not url.lower().startswith(("http://", "https://")):
        raise ValueError("must be a web address starting with http:// or https://")
    try:
        host = parts.hostname if parts.port is None or parts.port > 0 else None
    except ValueError:  # a port that is not a number or out of range
        host = None
    if not host or host.startswith(".") or ".." in host:
        raise ValueError("must be a web address with a host name, like https://example.org")
    return _check_length(url, maximum)


def check_website(value: str, maximum: int = WEBSITE_MAX, add_scheme: bool = True) -> str | None:
    """A website (or, with ARTICLE_URL_MAX and no scheme added, an article's address) as a submission's
    rules would keep it; None when they would refuse it (or it is empty)."""
    try:
        return _optional_url(value, maximum, add_scheme) if isinstance(value, str) else None
    except ValueError:
        return None


def _parent_id(value: object) -> int | None:
    if value is None:
        return None
    # Ids are database integers: a larger number can name no comment, and would overflow the query.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise ValueError("must be null or the id of an approved comment")
    return value


def _honeypot(value: object) -> bool:
    """Real forms leave the honeypot empty; anything else in it marks a bot."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value is not False


def _flag(value: object) -> bool:
    """An optional yes or no: JSON true or false (null or absent: no)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    raise ValueError("must be true or false")


def parse_body(value: object) -> str:
    """A comment body checked by the submission rules (a moderator's edit obeys them too)."""
    try:
        return _body(value)
    except ValueError as error:
        raise ValidationFailed({"body": str(error)}) from None
