"""PURE: reading an export file as XML, safely and in constant memory, for the XML parsers (Disqus, WXR).

defusedxml's parser with every DTD refused (so no entity, internal or external, is ever
declared, expanded or fetched), fed chunk by chunk as iterparse feeds it; each element at the
wanted depth is handed over complete, with the line it starts on, then dropped from the tree.
The tree builder hands elements over itself: iterparse's queue of an event for every start and
end took half the time and cannot tell the line an element starts on. A gzipped file is read
through (Disqus mails its exports as .xml.gz). Whatever stops a file being read is a
SourceError; a file that breaks part way is a `CutShort` one, after the elements before it.
"""

from __future__ import annotations

import gzip
import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from moderation.transfer.records import SourceError

Source = str | os.PathLike[str] | IO[bytes]  # a path, or a binary file the caller keeps open
GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 64 * 1024
HOSTILE = ("it has a document type declaration (<!DOCTYPE …>), which an export never has: its entities "
           "could expand without end or read other files and addresses, so it is not read")


class CutShort(SourceError):
    """The file stops being well-formed XML part way: what came before was read; its position says where."""

    def __init__(self, position: str, reason: str) -> None:
        super().__init__(f"{position}: {reason}")
        self.position, self.reason = position, reason


class _Handover(TreeBuilder):
    """A tree builder that queues each element at `depth` once it closes, with its first line, and
    takes it out of its parent, so the tree never holds more than the element being read."""

    def __init__(self, root: str, depth: int, what: str) -> None:
        super().__init__()
        self.root, self.depth, self.what = root, depth, what
        self.open: list[tuple[Element, int]] = []  # the elements open down to `depth`, with their lines
        self.done = deque[tuple[Element, int]]()
        self.level, self.started = 0, False
        self.expat: Any = None  # the parser's expat object, set once the parser exists

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        """An element opens: the first must be the root; note those down to `depth`, with their lines."""
        if not self.started and tag != self.root:
            raise SourceError(f"not a {self.what}: its root element is {_shown(tag)}, "
                              f"where a {self.what} has {_shown(self.root)}")
        self.started = True
        element = super().start(tag, attrs)
        self.level += 1
        if self.level <= self.depth + 1:
            self.open.append((element, self.expat.CurrentLineNumber))
        return element

    def end(self, tag: str) -> Element:
        """An element closes: one at `depth` is handed over and dropped from the tree."""
        element = super().end(tag)
        self.level -= 1
        if self.level <= self.depth:
            done = self.open.pop()
            if self.level == self.depth:
                self.done.append(done)
                self.open[-1][0].remove(element)
        return element


class _Rest:
    """A file whose first bytes were read to see what it is: those bytes, then the rest of it."""

    def __init__(self, head: bytes, file: IO[bytes]) -> None:
        self.head, self.file = head, file

    def read(self, size: int = -1) -> bytes:
        """The next bytes (a short read first, as files may give)."""
        if self.head:
            head, self.head = self.head, b""
            return head
        return self.file.read(size)


def local_name(tag: str) -> str:
    """A tag without its namespace: "{http://disqus.com}post" → "post"."""
    return tag.rpartition("}")[2]


def _shown(tag: str) -> str:
    """A tag as it would be written: <post xmlns="http://disqus.com">."""
    namespace, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return f'<{name} xmlns="{namespace}">' if namespace else f"<{name}>"


def elements(source: Source, root: str, depth: int = 1, what: str = "export",
             repair: Callable[[Any], Any] | None = None) -> Iterator[tuple[Element, int]]:
    """Each element `depth` levels below the root, once complete, with the line it starts on.

    The root must be `root` (a namespaced tag); `what` names the format in messages; `repair`
    wraps the (decompressed) stream before parsing (WordPress's bare ampersands). Raises
    SourceError for a file that cannot be read, is empty, is not XML, is hostile or has another root.
    """
    with ExitStack() as stack:
        try:
            file = stack.enter_context(open(source, "rb")) if isinstance(source, (str, os.PathLike)) else source
            head = file.read(2)
            head += file.read(2 - len(head)) if len(head) == 1 else b""  # a short read
        except OSError as error:
            raise SourceError(f"cannot read the file: {error.strerror or error}") from None
        if not head:
            raise SourceError(f"not a {what}: the file is empty")
        rest: Any = _Rest(head, file)
        if head == GZIP_MAGIC:
            rest = stack.enter_context(gzip.GzipFile(fileobj=rest, mode="rb"))
        yield from _walk(repair(rest) if repair else rest, root, depth, what)


def _walk(file: Any, root: str, depth: int, what: str) -> Iterator[tuple[Element, int]]:
    """The loop of `elements`: feed the parser chunk by chunk, hand over what each chunk completed."""
    builder = _Handover(root, depth, what)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    builder.expat = parser.parser  # the pure-Python parser's expat object (defusedxml needs that one)
    while True:
        broken = None
        try:
            chunk = file.read(CHUNK)
            parser.feed(chunk) if chunk else parser.close()
        except DefusedXmlException:
            raise SourceError(f"hostile XML refused: {HOSTILE}") from None
        except ParseError as error:
            broken = error
        except (OSError, EOFError) as error:  # a gzipped file that is damaged or cut short
            raise SourceError(f"cannot read the file: {error}") from None
        while builder.done:
            yield builder.done.popleft()
        if broken is not None:
            line, column = broken.position
            if not builder.started:
                raise SourceError(f"not a {what}: the file is not XML") from None
            raise CutShort(f"line {line}, column {column + 1}", "the file is not well-formed XML from here on: "
                           f"{str(broken).partition(':')[0]}") from None
        if not chunk:
            return
