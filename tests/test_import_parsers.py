"""The Disqus and Isso parsers on samples made the way those systems make them: states, threads,
dates, articles, Unicode, what is skipped and why, hostile and broken files, and flat memory.

The samples come from tests/data/make_import_samples.py (the `import_samples` fixture), whose
docstrings list what each holds. No database: a parser only reads its file.
"""

from __future__ import annotations

import ast
import hashlib
import http.server
import shutil
import sqlite3
import threading
import tracemalloc
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from moderation.transfer import disqus, isso, xmlsource
from moderation.transfer.records import (
    APPROVED,
    HTML,
    MARKDOWN,
    PENDING,
    SPAM,
    Item,
    Problem,
    Record,
    Skipped,
    SourceError,
    Thread,
    article_id_from,
)

from helpers import sample_writers

HARBOUR = Thread("101", "Harbour reopens after storm", "https://news.example.org/2026/11/harbour-reopens-after-storm/")
CAFE = Thread("2026-11-cafe-unicode-new-owners", "Café Ünïcödé gets new owners ☕",
              "https://news.example.org/2026/11/cafe-unicode-new-owners/?utm_source=feed")
ABOUT = Thread("about-page", "About us", "https://news.example.org/about/")
OLD = Thread("2026-10-old-story", "Old story", "http://news.example.org/2026/10/old-story/")


def by_source_id(records: list[Record]) -> dict[str, Record]:
    """The records that have a source id, by it."""
    return {record.source_id: record for record in records if isinstance(record, (Item, Skipped)) and record.source_id}


def read_all(parse: Any, source: Any) -> tuple[list[Record], BaseException | None]:
    """What a parser yielded before it stopped, and the error it stopped with (None if it finished)."""
    records: list[Record] = []
    try:
        for record in parse(source):
            records.append(record)
    except SourceError as error:
        return records, error
    return records, None


@pytest.fixture(scope="module")
def disqus_records(import_samples: Any) -> list[Record]:
    """Every record of the Disqus sample."""
    return list(disqus.parse(import_samples.disqus))


@pytest.fixture(scope="module")
def isso_records(import_samples: Any) -> list[Record]:
    """Every record of the Isso sample."""
    return list(isso.parse(import_samples.isso))


# --- Disqus ---------------------------------------------------------------------------------------

# dsq:id: (status, parent, thread, name, email, created_at)
DISQUS_ITEMS = {
    "9001": (APPROVED, None, HARBOUR, "Alice Archer", "alice@example.org", datetime(2026, 11, 2, 10, 15, tzinfo=UTC)),
    "9002": (APPROVED, "disqus:9001", HARBOUR, "Bob", "bob@example.org", datetime(2026, 11, 2, 11, tzinfo=UTC)),
    "9003": (APPROVED, "disqus:9002", HARBOUR, "Chloé Dubois-Ångström", "chloe@example.fr",
             datetime(2026, 11, 2, 12, tzinfo=UTC)),
    "9004": (APPROVED, "disqus:9003", HARBOUR, "Dmitri", "dmitri@example.org", datetime(2026, 11, 2, 13, tzinfo=UTC)),
    "9005": (SPAM, None, HARBOUR, "Cheap Pills", "pills@spam.example", datetime(2026, 11, 3, 10, tzinfo=UTC)),
    "9007": (APPROVED, "disqus:9006", HARBOUR, "Eve", "eve@example.org", datetime(2026, 11, 3, 12, tzinfo=UTC)),
    "9008": (APPROVED, None, CAFE, "Mallory", "mallory@example.org", datetime(2026, 11, 6, 10, tzinfo=UTC)),
    "9009": (APPROVED, None, CAFE, "Clocky", "clocky@example.org", None),  # createdAt 2026-13-45T99:00:00Z
    "9010": (APPROVED, None, CAFE, "Ampersand Amy", "amy@example.org", datetime(2026, 11, 6, 12, tzinfo=UTC)),
    "9011": (APPROVED, None, ABOUT, "No Address", "not-an-email", datetime(2026, 11, 8, 10, tzinfo=UTC)),
    "9012": (APPROVED, None, OLD, "Ivo", "ivo@example.org", datetime(2026, 10, 20, 10, tzinfo=UTC)),
}


@pytest.mark.parametrize("dsq_id", DISQUS_ITEMS)
def test_disqus_posts_map_to_items(disqus_records: list[Record], dsq_id: str) -> None:
    status, parent, thread, name, email, created_at = DISQUS_ITEMS[dsq_id]
    item = by_source_id(disqus_records)[f"disqus:{dsq_id}"]
    assert isinstance(item, Item)
    assert (item.status, item.parent_source_id, item.thread, item.name, item.email, item.created_at) == (
        status, parent, thread, name, email, created_at)
    assert item.website == "" and item.body_format == HTML
    assert item.created_at is None or item.created_at.utcoffset() is not None


def test_disqus_records_come_in_file_order_with_the_line_of_each_post(
        import_samples: Any, disqus_records: list[Record]) -> None:
    lines = import_samples.disqus.read_text(encoding="utf-8").splitlines()
    ids = [record.source_id if isinstance(record, (Item, Skipped)) else None for record in disqus_records]
    assert ids == [*(f"disqus:{number}" for number in range(9001, 9014)), None, None, "disqus:9016", None]
    numbers = [int(record.position.removeprefix("line ")) for record in disqus_records]
    assert numbers == sorted(numbers)
    assert all(lines[number - 1].lstrip().startswith("<post") for number in numbers)
    assert 'dsq:id="9001"' in lines[numbers[0] - 1]


def test_disqus_bodies_are_kept_as_written_for_the_importer_to_sanitize(disqus_records: list[Record]) -> None:
    records = by_source_id(disqus_records)
    assert [records[f"disqus:{number}"].body for number in ("9003", "9008", "9010")] == [
        "<p>Très bien — 日本語のコメント 😀</p>",
        '<p onclick="alert(1)">Nice</p><script>alert("x")</script>',
        "<p>Tom &amp; Jerry &lt;3</p>"]
    assert records["disqus:9003"].ip == "2001:db8::7"


def test_disqus_skips_deleted_posts_and_those_of_deleted_threads(disqus_records: list[Record]) -> None:
    skipped = {record.source_id: record.reason for record in disqus_records if isinstance(record, Skipped)}
    assert skipped == {"disqus:9006": "deleted", "disqus:9013": "its thread is deleted", "disqus:9016": "deleted"}


def test_disqus_reports_what_it_cannot_place(disqus_records: list[Record]) -> None:
    problems = [record.reason for record in disqus_records if isinstance(record, Problem)]
    assert len(problems) == 3
    assert "post 9014" in problems[0] and "no identifier and no path" in problems[0]  # the home page
    assert problems[1] == "post 9015 is in a thread that is not in the file"
    assert "without dsq:id" in problems[2]


@pytest.mark.parametrize(("identifier", "link", "article_id"), [
    ("101 https://news.example.org/?p=101", "https://news.example.org/2026/11/x/", "101"),  # WordPress's plugin
    ("12345", "https://news.example.org/a/", "12345"),
    ("about-page", "", "about-page"),
    ("My Article: Part 2", "", "My-Article-Part-2"),
    ("https://news.example.org/2026/10/old-story/", "https://elsewhere.example/", "2026-10-old-story"),
    ("", "https://news.example.org/2026/11/cafe/?utm_source=feed", "2026-11-cafe"),
    ("", "https://news.example.org/?p=42", "p-42"),
    ("", "https://news.example.org/", None),
    ("", "", None),
])
def test_disqus_article_ids(identifier: str, link: str, article_id: str | None) -> None:
    assert disqus.article_id_for(identifier, link) == article_id


@pytest.mark.parametrize(("text", "moment"), [
    ("2026-11-02T10:15:00Z", datetime(2026, 11, 2, 10, 15, tzinfo=UTC)),
    ("2026-11-02T10:15:00", datetime(2026, 11, 2, 10, 15, tzinfo=UTC)),  # no zone: UTC, as Disqus means it
    ("2026-11-02T11:15:00+01:00", datetime(2026, 11, 2, 10, 15, tzinfo=UTC)),
    ("2026-13-45T99:00:00Z", None),
    ("yesterday", None),
    ("", None),
])
def test_disqus_dates(text: str, moment: datetime | None) -> None:
    assert disqus.created_at(text) == moment


def test_disqus_reads_the_gzipped_export_and_open_files_alike(import_samples: Any,
                                                              disqus_records: list[Record]) -> None:
    class ReadOnly:  # a file as the import command's progress bar wraps it: read() and nothing else
        def __init__(self, path: Path) -> None:
            self.file = open(path, "rb")

        def read(self, size: int = -1) -> bytes:
            return self.file.read(size)

    assert list(disqus.parse(import_samples.disqus_gzip)) == disqus_records
    with open(import_samples.disqus, "rb") as file:
        assert list(disqus.parse(file)) == disqus_records
        assert not file.closed  # the caller's file stays the caller's
    wrapped = ReadOnly(import_samples.disqus_gzip)
    assert list(disqus.parse(wrapped)) == disqus_records
    wrapped.file.close()


def edited(import_samples: Any, tmp_path: Path, after: str, old: str, new: str) -> Path:
    """The Disqus sample with the first `old` after `after` replaced by `new`."""
    text = import_samples.disqus.read_text(encoding="utf-8")
    at = text.index(old, text.index(after))
    path = tmp_path / "edited.xml"
    path.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")
    return path


def test_disqus_unreadable_flags_are_problems_and_an_isapproved_false_is_pending(
        import_samples: Any, tmp_path: Path) -> None:
    records = by_source_id(list(disqus.parse(edited(import_samples, tmp_path, 'dsq:id="9001"', "<isSpam>false",
                                                    "<isApproved>false</isApproved><isSpam>false"))))
    assert records["disqus:9001"].status == PENDING
    records_ = list(disqus.parse(edited(import_samples, tmp_path, 'dsq:id="9002"', "<isSpam>false", "<isSpam>maybe")))
    assert "disqus:9002" not in by_source_id(records_)
    assert [record.reason for record in records_ if isinstance(record, Problem)][0] == (
        "post 9002: <isSpam> is 'maybe', not true or false")


def test_a_disqus_export_cut_short_keeps_what_came_before(import_samples: Any, tmp_path: Path) -> None:
    text = import_samples.disqus.read_text(encoding="utf-8")
    path = tmp_path / "cut.xml"
    path.write_text(text[:text.index('<post dsq:id="9004"') + 60], encoding="utf-8")
    records, error = read_all(disqus.parse, path)
    assert error is None
    assert [record.source_id for record in records[:-1]] == ["disqus:9001", "disqus:9002", "disqus:9003"]
    assert isinstance(records[-1], Problem) and records[-1].position.startswith("line ")
    assert records[-1].reason.startswith("the file is not well-formed XML from here on")


@pytest.mark.parametrize(("name", "message"), [
    ("billion_laughs.xml", "hostile XML refused"),
    ("external_file.xml", "hostile XML refused"),
    ("external_http.xml", "hostile XML refused"),
    ("parameter_entity.xml", "hostile XML refused"),
    ("external_dtd.xml", "hostile XML refused"),
    ("wrong_root.xml", 'not a Disqus export: its root element is <html>, where a Disqus export has '
                       '<disqus xmlns="http://disqus.com">'),
    ("empty.xml", "not a Disqus export: the file is empty"),
    ("not_xml.bin", "not a Disqus export: the file is not XML"),
])
def test_disqus_refuses_hostile_and_foreign_files(import_samples: Any, name: str, message: str) -> None:
    records, error = read_all(disqus.parse, import_samples.hostile[name])
    assert records == [] and error is not None and str(error).startswith(message)


def test_disqus_refuses_a_wordpress_export(import_samples: Any) -> None:
    records, error = read_all(disqus.parse, import_samples.wxr)
    assert records == [] and "its root element is <rss>" in str(error)


def test_an_external_entity_never_reads_the_file_it_names(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4c1d", encoding="utf-8")
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE disqus [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
                       '<disqus xmlns="http://disqus.com"><post><message>&xxe;</message></post></disqus>\n')
    records, error = read_all(disqus.parse, hostile)
    assert records == [] and error is not None and "TOP-SECRET" not in repr(error)


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that notes every request: its base URL and the paths asked for."""
    asked: list[str] = []

    class Note(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leak "LEAKED">')

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Note)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_hostile_files_make_no_request(listener: tuple[str, list[str]], tmp_path: Path) -> None:
    base, asked = listener
    files = sample_writers().write_hostile(tmp_path, external_url=f"{base}/secret")
    for name in ("external_http.xml", "parameter_entity.xml", "external_dtd.xml"):
        records, error = read_all(disqus.parse, files[name])
        assert records == [] and "hostile XML refused" in str(error) and "LEAKED" not in repr(error)
    assert asked == []
    with urllib.request.urlopen(f"{base}/control") as response:  # the listener does hear what is asked
        response.read()
    assert asked == ["/control"]


@pytest.fixture(scope="module")
def large_disqus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated Disqus export of 20,000 posts on 200 threads (about 16 MB)."""
    path = tmp_path_factory.mktemp("large") / "large-disqus.xml"
    sample_writers().write_large_disqus(path, posts=20_000)
    return path


def peak_while_parsing(path: Path) -> tuple[int, int]:
    """How many records the Disqus parser yields for path, and the peak memory it allocated meanwhile."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in disqus.parse(path))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_disqus_memory_stays_flat_however_large_the_export(large_disqus: Path, tmp_path: Path) -> None:
    small = tmp_path / "small.xml"
    sample_writers().write_large_disqus(small, posts=2_000)
    small_count, small_peak = peak_while_parsing(small)
    count, peak = peak_while_parsing(large_disqus)
    assert (small_count, count) == (2_000, 20_000)
    assert peak < 2 * 2**20, f"{peak:,} bytes at the peak for a {large_disqus.stat().st_size:,}-byte export"
    assert peak < 1.5 * small_peak + 100_000, (small_peak, peak)  # ten times the posts, not ten times the memory


def test_disqus_hands_posts_over_as_it_reads(large_disqus: Path) -> None:
    class Counted:
        def __init__(self, path: Path) -> None:
            self.file, self.read_bytes = open(path, "rb"), 0

        def read(self, size: int = -1) -> bytes:
            chunk = self.file.read(size)
            self.read_bytes += len(chunk)
            return chunk

    source = Counted(large_disqus)
    records = disqus.parse(source)
    first = next(records)
    assert isinstance(first, Item) and first.source_id == "disqus:1000000"
    assert source.read_bytes < large_disqus.stat().st_size / 20
    records.close()
    source.file.close()


# --- Isso -----------------------------------------------------------------------------------------

T0 = datetime(2026, 11, 2, 10, 15, 0, 250_000, tzinfo=UTC)
HARBOUR_ISSO = Thread("2026-11-harbour-reopens-after-storm", "Harbour reopens after storm", None)
CAFE_ISSO = Thread(article_id_from("/café/ünïcode/") or "", "Café Ünïcödé ☕", None)
ABOUT_ISSO = Thread("about", None, "https://news.example.org/about/")
# comments.id: (status, parent, thread, name, email, website, ip, created_at, body)
ISSO_ITEMS = {
    1: (APPROVED, None, HARBOUR_ISSO, "Alice Archer", "alice@example.org", "https://alice.example.net", "203.0.113.0",
        T0, "Great **news** for the harbour!\n\n- ferry\n- market"),
    2: (APPROVED, "isso:1", HARBOUR_ISSO, "Bob", "bob@example.org", "", "203.0.113.0",
        datetime(2026, 11, 2, 11, 0, 0, 250_000, tzinfo=UTC), "Agreed. *The ferry too.*"),
    3: (PENDING, "isso:1", HARBOUR_ISSO, "Dmitri", "", "", "203.0.113.0",
        datetime(2026, 11, 2, 12, 0, 0, 250_000, tzinfo=UTC), "Still waiting for a moderator."),
    5: (APPROVED, "isso:4", HARBOUR_ISSO, "Eve", "eve@example.org", "", "203.0.113.0",
        datetime(2026, 11, 3, 11, 15, 0, 250_000, tzinfo=UTC), "Replying to the deleted one."),
    6: (APPROVED, None, CAFE_ISSO, "Chloé Dubois-Ångström", "", "", "2001:0db8:0000:0000:0000:0000:0000:0000",
        datetime(2026, 11, 6, 10, 15, 0, 250_000, tzinfo=UTC), "Très bien — 日本語のコメント 😀 <script>alert(1)</script>"),
    7: (APPROVED, "isso:6", CAFE_ISSO, "Clocky", "", "", "203.0.113.0", None, "My clock was broken."),
    8: (APPROVED, None, ABOUT_ISSO, "No Address", "not-an-email", "", "203.0.113.0",
        datetime(2026, 11, 8, 10, 15, 0, 250_000, tzinfo=UTC), "My email is wrong."),
}


@pytest.mark.parametrize("number", ISSO_ITEMS)
def test_isso_comments_map_to_items(isso_records: list[Record], number: int) -> None:
    item = by_source_id(isso_records)[f"isso:{number}"]
    assert isinstance(item, Item) and item.position == f"comments.id {number}"
    assert (item.status, item.parent_source_id, item.thread, item.name, item.email, item.website, item.ip,
            item.created_at, item.body) == ISSO_ITEMS[number]
    assert item.body_format == MARKDOWN  # rendered by the importer, not here


def test_isso_skips_deleted_comments_and_reports_what_it_cannot_place(isso_records: list[Record]) -> None:
    assert [(type(record).__name__, record.position) for record in isso_records] == [
        ("Item", "comments.id 1"), ("Item", "comments.id 2"), ("Item", "comments.id 3"),
        ("Skipped", "comments.id 4"), *(("Item", f"comments.id {n}") for n in range(5, 9)),
        ("Problem", "comments.id 9"), ("Problem", "comments.id 10"), ("Problem", "comments.id 11")]
    assert by_source_id(isso_records)["isso:4"] == Skipped("isso:4", "comments.id 4", "deleted")
    assert [record.reason for record in isso_records if isinstance(record, Problem)] == [
        "its thread's uri '/' makes no article id",
        "its thread (threads.id 99) is not in the database",
        "mode 3 is none Isso writes (1 accepted, 2 waiting, 4 deleted)"]


@pytest.mark.parametrize(("value", "moment"), [
    (T0.timestamp(), T0),
    (1793614500, datetime(2026, 11, 2, 10, 15, tzinfo=UTC)),
    ("1793614500.25", T0),  # SQLite may hand a FLOAT column's value back as text
    ("yesterday", None),
    (None, None),
    (b"\x00", None),
    (float("nan"), None),
    (1e20, None),
])
def test_isso_dates(value: object, moment: datetime | None) -> None:
    assert isso.created_at(value) == moment


def test_isso_opens_the_database_read_only(import_samples: Any, tmp_path: Path) -> None:
    copy = tmp_path / "odd ?#% name.db"  # a path the URI must quote
    shutil.copy(import_samples.isso, copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    assert len(list(isso.parse(copy))) == 11
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == [copy.name]  # no journal, no WAL


def test_isso_streams_rows_and_lets_go_of_the_database(import_samples: Any, tmp_path: Path) -> None:
    copy = tmp_path / "comments.db"
    shutil.copy(import_samples.isso, copy)
    records = isso.parse(copy)
    assert next(records).source_id == "isso:1"
    writer = sqlite3.connect(copy, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        writer.execute("BEGIN EXCLUSIVE")  # the parser is still reading, row by row
    records.close()
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("ROLLBACK")
    writer.close()


def without_titles(path: Path) -> Path:
    """An SQLite database with Isso's comments table and a threads table lacking its title."""
    with sqlite3.connect(path) as connection:
        connection.executescript(sample_writers().ISSO_SCHEMA.replace(", title VARCHAR(256)", ""))
    connection.close()
    return path


@pytest.mark.parametrize(("name", "message"), [
    ("not_isso.db", "not an Isso database, since SQLite cannot read it (file is not a database)"),
    ("no_isso_tables.db", "an SQLite database, but not Isso's: it has no comments, threads"),
    ("empty.xml", "the file is empty, not an Isso database"),
    ("billion_laughs.xml", "not an Isso database, since SQLite cannot read it"),
    ("missing.db", "no such file"),
    ("without_titles.db", "an SQLite database, but not Isso's: it has no threads.title"),
])
def test_isso_refuses_what_is_not_an_isso_database(import_samples: Any, tmp_path: Path, name: str,
                                                   message: str) -> None:
    path = import_samples.hostile.get(name, tmp_path / name)
    if name == "without_titles.db":
        without_titles(path)
    records, error = read_all(isso.parse, path)
    assert records == [] and error is not None and message in str(error)


# --- Both -----------------------------------------------------------------------------------------

FORBIDDEN = ("flask", "werkzeug", "sqlalchemy", "moderation.store", "moderation.web", "moderation.cli",
             "moderation.shared")


@pytest.mark.parametrize("module", [xmlsource, disqus, isso], ids=lambda module: module.__name__)
def test_the_parsers_are_pure(module: Any) -> None:
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not [name for name in imported if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)]
