"""PURE: an imported comment's text and name made fit to store: Markdown rendered, names plain.

Isso keeps Markdown, which is rendered here as Isso 0.14 renders it (mistune 3, raw HTML
escaped, single newlines as line breaks, ~~strikethrough~~; not its sub- and superscript,
whose tags the allow-list would show as text), then goes through the same allow-list as any
comment (`core.sanitize.clean`). A name loses control characters and bidirectional
overrides (the rules for a new comment's) rather than the comment being refused for them.
"""

from __future__ import annotations

import unicodedata

import mistune

from moderation.core.sanitize import clean, render
from moderation.core.submissions import BIDI_OVERRIDES
from moderation.transfer.records import MARKDOWN

_MARKDOWN = mistune.create_markdown(escape=True, hard_wrap=True, plugins=["strikethrough"])


def render_markdown(text: str) -> str:
    """The HTML of a Markdown text, raw HTML in it escaped as text (the sanitizer runs after)."""
    return str(_MARKDOWN(text))


def plain_name(name: str, limit: int) -> str:
    """A name as stored: NFC, no control or bidirectional override characters, cut to limit."""
    text = unicodedata.normalize("NFC", name)
    kept = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text if char not in BIDI_OVERRIDES)
    return " ".join(kept.split())[:limit]


def render_body(text_and_format: tuple[str, str]) -> str:
    """An imported comment's stored HTML: Markdown rendered, or HTML as a new comment's text is, then the
    allow-list. One argument, so that a process pool can map it."""
    text, body_format = text_and_format
    return clean(render_markdown(text)) if body_format == MARKDOWN else render(text)
