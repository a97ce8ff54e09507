"""PURE: turn a comment's text into the HTML that is stored and served.

Blank lines make paragraphs and single newlines `<br>`; then bleach, as the last step,
keeps WordPress's comment tags, escapes everything else as text, links bare URLs and
gives every link `rel="nofollow ugc noopener"`. Only http, https and mailto links survive.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, MutableMapping
from functools import partial
from typing import TYPE_CHECKING

from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import Cleaner

if TYPE_CHECKING:  # bleach's stubs type its vendored html5lib as html5lib, which is not installed to run
    from html5lib.filters.base import Filter
else:
    from bleach.html5lib_shim import Filter

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "cite", "code", "del", "em", "i", "q", "s", "strike", "strong",
    "p", "br", "pre", "ul", "ol", "li",
})
URL_ATTRIBUTES = {"a": "href", "blockquote": "cite", "q": "cite"}
ALLOWED_ATTRIBUTES = {"a": ("href", "title"), "abbr": ("title",), "blockquote": ("cite",), "q": ("cite",)}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
Attributes = MutableMapping[tuple[str | None, str], str]  # a tag's attributes: (namespace, name) -> value

BLOCK_START = re.compile(r"\s*<(?:p|pre|ul|ol|blockquote)[\s>]", re.IGNORECASE)
# A line break between two blocks ("</p>\n<p>", as a pasted or imported text has it) is no <br>.
BETWEEN_BLOCKS = re.compile(r"(</(?:p|pre|ul|ol|li|blockquote)>|<(?:ul|ol)>)<br>\n(?=\s*</?(?:p|pre|ul|ol|li|blockquote)[\s>])",
                            re.IGNORECASE)
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# Browsers ignore these anywhere in a URL's scheme, so they must not hide one from us.
IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    """Allow listed attributes; URL attributes only with an absolute, allowed scheme."""
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if URL_ATTRIBUTES.get(tag) != name:
        return True
    compact = IGNORED_IN_SCHEME.sub("", value).lower()
    scheme, colon, rest = compact.partition(":")
    if not colon or scheme not in ALLOWED_PROTOCOLS:
        return False
    return scheme == "mailto" or rest.startswith("//")


def _set_rel(attrs: Attributes, new: bool = False) -> Attributes:
    """Linkify callback: every link gets the same rel, whatever the author wrote."""
    if (None, "href") in attrs:
        attrs[(None, "rel")] = LINK_REL
    return attrs


class CommentsAsText(Filter):
    """An html5lib filter that shows HTML comments as the text the author typed."""

    def __init__(self, source: Iterable[dict[str, object]]) -> None:
        self.source = source

    def __iter__(self) -> Iterator[dict[str, object]]:
        for token in self.source:
            if token["type"] == "Comment":
                yield {"type": "Characters", "data": f"<!--{token['data']}-->"}
            else:
                yield token


_CLEANER = Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=False,
    strip_comments=False,
    filters=[CommentsAsText,
             partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False)],
)
# Only ever applied to the cleaner's own output, where every "<" starts a tag.
TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")


def paragraphs(text: str) -> str:
    """Wrap blank-line-separated blocks in <p> and turn single newlines into <br>."""
    blocks = [block.strip("\n") for block in PARAGRAPH_BREAK.split(text.strip())]
    html = []
    for block in blocks:
        if not block:
            continue
        lines = BETWEEN_BLOCKS.sub("\\1\n", block.replace("\n", "<br>\n"))
        html.append(lines if BLOCK_START.match(block) else f"<p>{lines}</p>")
    return "\n".join(html)


def clean(html_text: str) -> str:
    """HTML made elsewhere (an imported comment's Markdown, rendered) through the same allow-list."""
    return _CLEANER.clean(html_text)


def render(text: str) -> str:
    """The stored HTML of a comment body: paragraphs first, the sanitizer last."""
    rendered = _CLEANER.clean(paragraphs(text))
    if TAG.sub("", rendered).strip():
        return rendered
    # Only empty tags: show what was typed rather than nothing at all.
    return _CLEANER.clean(paragraphs(html.escape(text, quote=False)))
