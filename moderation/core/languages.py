"""PURE: language tags as readers' browsers, forms and embeds send them, cut down to a catalogue's name.

`de-AT`, `de_AT` and `DE` all mean the German catalogue `de`; anything that is not a plausible
BCP 47 tag means none. Which catalogues exist is the caller's to say (the service ships them).
"""

from __future__ import annotations

import re
from collections.abc import Collection

SOURCE = "en"  # the language the service's own strings are written in (no catalogue of its own)
# A primary language subtag (2–3 letters), then any subtags: enough to reject junk, not a full BCP 47 check.
TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*")


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Mark a string for the translation catalogues without translating it (that is done where it is shown)."""
    return message


def primary(tag: object) -> str | None:
    """The primary language of a tag, lower case ("de-AT" → "de"); None for no tag or junk."""
    if not isinstance(tag, str):
        return None
    found = TAG.fullmatch(tag.strip())
    return found.group(1).lower() if found else None


def shipped(tag: object, languages: Collection[str]) -> str | None:
    """The catalogue a tag asks for, when it is one of languages; None otherwise."""
    language = primary(tag)
    return language if language in languages else None
