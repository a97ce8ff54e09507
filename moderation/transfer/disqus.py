"""PURE: a Disqus comments export (the `<disqus>` XML its admin's Export mails, often as .xml.gz) as records.

Streamed by `xmlsource` (hardened, constant memory); the export lists its categories, then
every thread, then every post, so only a small table of thread dsq:id → Thread is kept.

| Disqus (`<post>`)                     | record                                                      |
|---------------------------------------|-------------------------------------------------------------|
| `dsq:id` attribute                    | `source_id` "disqus:<dsq:id>" (a post without one: Problem) |
| the line where `<post>` starts        | `position` "line N"                                         |
| `<thread dsq:id>` → that `<thread>`   | `thread` (below); a thread not in the file: Problem         |
| `<parent dsq:id>`                     | `parent_source_id` "disqus:<dsq:id>"                        |
| `isDeleted` true (or its thread's)    | Skipped "deleted" ("its thread is deleted")                 |
| `isSpam` true                         | `status` SPAM                                               |
| otherwise                             | `status` APPROVED (PENDING where an `isApproved` is false)  |
| `author/name` (else `author/username`)| `name`                                                      |
| `author/email`                        | `email`, as it is                                           |
| (none: Disqus exports no website)     | `website` ""                                                |
| `ipAddress`                           | `ip`, as it is                                              |
| `createdAt` (ISO 8601; no zone = UTC) | `created_at`, UTC; None when unreadable                     |
| `message` (HTML, in CDATA)            | `body`, `body_format` HTML                                  |

A `<thread>` gives Thread(article_id, title, url): its `title`, its `link` when that is an
http(s) address, and the article id from `<id>`, the identifier the site gave Disqus:
"123 https://…/?p=123" (what WordPress's Disqus plugin sets) → "123"; an identifier that is
an address → from its path, as below; any other → `article_id_from` it. With no `<id>`, from
the link's path (with its query when the path is just "/"). No article id at all (the home
page): its posts are Problems. Booleans are "true"/"false" (or 1/0); another value is a
Problem. Ignored: categories, `forum`, `isClosed`, `isAnonymous`, a post's own `<id>`, and a
thread's author, message and date. A file cut short ends in a Problem where it breaks.

The export has no approval field (Disqus's API has `isApproved`; the export's schema has
not): it marks deleted and spam posts and nothing else, so a post that is neither comes in
APPROVED, the state it was shown in. Should an export carry `isApproved`, false is PENDING.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from moderation.transfer.records import (
    APPROVED,
    HTML,
    PENDING,
    SPAM,
    Item,
    Problem,
    Record,
    Skipped,
    Thread,
    article_id_from,
)
from moderation.transfer.xmlsource import CutShort, Source, elements, local_name

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"
ROOT = f"{NS}disqus"
WORDPRESS_IDENTIFIER = re.compile(r"(\d+) https?://\S+")  # dsq_identifier_for_post(): "ID guid"
TRUE, FALSE = {"true", "1"}, {"false", "0", ""}
DELETED_THREAD = "its thread is deleted"


def parse(source: Source) -> Iterator[Record]:
    """Every post of a Disqus export, in file order, as an Item, Skipped or Problem; SourceError if unreadable."""
    threads: dict[str, Thread | str] = {}  # dsq:id → the thread, or why its posts cannot be imported
    try:
        for element, line in elements(source, ROOT, what="Disqus export"):
            kind = local_name(element.tag)
            if kind == "thread":
                threads[element.get(DSQ_ID, "")] = _thread(element)
            elif kind == "post":
                yield _post(element, f"line {line}", threads)
    except CutShort as error:  # what came before stands; the rest cannot be read
        yield Problem(error.position, error.reason)


Fields = dict[str, Element]  # an element's children by local name (the first of each)


def _fields(element: Element | None) -> Fields:
    """The children of element by local name; none for no element."""
    fields: Fields = {}
    for child in element if element is not None else ():
        fields.setdefault(child.tag.rpartition("}")[2], child)
    return fields


def _text(fields: Fields, name: str) -> str:
    """The stripped text of a child, "" when it is absent or empty."""
    child = fields.get(name)
    return (child.text or "").strip() if child is not None else ""


def _thread(element: Element) -> Thread | str:
    """A <thread> as the Thread its posts belong to, or the reason they cannot be imported."""
    fields = _fields(element)
    try:
        if _flag(fields, "isDeleted"):
            return DELETED_THREAD
    except ValueError as error:
        return f"its thread (dsq:id {element.get(DSQ_ID)}): {error}"
    link = _text(fields, "link")
    article_id = article_id_for(_text(fields, "id"), link)
    if article_id is None:
        return f"its thread (dsq:id {element.get(DSQ_ID)}) has no identifier and no path to make an article id of"
    url = link if urlsplit(link).scheme in ("http", "https") else None
    return Thread(article_id, _text(fields, "title") or None, url)


def article_id_for(identifier: str, link: str) -> str | None:
    """The article id of a Disqus thread, from the site's identifier, else from its link."""
    if found := WORDPRESS_IDENTIFIER.fullmatch(identifier):
        return found.group(1)
    if identifier and urlsplit(identifier).scheme not in ("http", "https"):
        return article_id_from(identifier)
    return _from_address(identifier) or _from_address(link)


def _from_address(address: str) -> str | None:
    """An article id from a page's address: its path, or with the query when the path is "/"."""
    parts = urlsplit(address)
    return article_id_from(parts.path) or (article_id_from(f"{parts.path}?{parts.query}") if parts.query else None)


def _flag(fields: Fields, name: str) -> bool:
    """A boolean child ("true"/"false", 1/0; absent is false); ValueError for anything else."""
    value = _text(fields, name).lower()
    if value in TRUE or value in FALSE:
        return value in TRUE
    raise ValueError(f"<{name}> is {value!r}, not true or false")


def created_at(text: str) -> datetime | None:
    """A createdAt as an aware UTC datetime ("2026-11-02T10:15:00Z"; no zone is UTC); None if unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _post(element: Element, position: str, threads: dict[str, Thread | str]) -> Record:
    """One <post> as a record."""
    dsq_id = element.get(DSQ_ID)
    if not dsq_id:
        return Problem(position, "a post without dsq:id, the only identifier an export gives it")
    source_id, fields = f"disqus:{dsq_id}", _fields(element)
    reference, parent = fields.get("thread"), fields.get("parent")
    thread = threads.get(reference.get(DSQ_ID, "") if reference is not None else "")
    try:
        deleted, spam = _flag(fields, "isDeleted"), _flag(fields, "isSpam")
        held = "isApproved" in fields and not _flag(fields, "isApproved")
    except ValueError as error:
        return Problem(position, f"post {dsq_id}: {error}")
    if deleted or thread == DELETED_THREAD:
        return Skipped(source_id, position, "deleted" if deleted else DELETED_THREAD)
    if thread is None:
        return Problem(position, f"post {dsq_id} is in a thread that is not in the file")
    if isinstance(thread, str):
        return Problem(position, f"post {dsq_id}: {thread}")
    parent_id, author = parent.get(DSQ_ID) if parent is not None else None, _fields(fields.get("author"))
    return Item(
        source_id=source_id, position=position, thread=thread,
        parent_source_id=f"disqus:{parent_id}" if parent_id else None,
        status=SPAM if spam else PENDING if held else APPROVED,
        name=_text(author, "name") or _text(author, "username"), email=_text(author, "email"), website="",
        ip=_text(fields, "ipAddress"), created_at=created_at(_text(fields, "createdAt")),
        body=_text(fields, "message"), body_format=HTML)
