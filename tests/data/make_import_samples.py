"""Writes the import tests' samples: a WordPress export, a Disqus export, an Isso database, hostile files.

Each is made the way its system makes it, not trimmed to what a parser likes: the WXR by
bench/make_wxr.py's writer (a copy of WordPress 6.x's export.php), the Disqus export in the
layout of Disqus's "Comments export" (namespaces, categories, then threads, then posts), the
Isso database with the DDL of Isso's isso/db/ (comments, threads, preferences, the trigger,
user_version 5: checked against Isso 0.14.0, whose own new database has the same sqlite_master
and user_version, and which reads this sample, its voters Bloom filters included). The tests
write them afresh each run (the `import_samples` fixture); to look at them:
.venv/bin/python tests/data/make_import_samples.py FOLDER

What each sample holds is listed by the function that writes it, for the tests to check.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from make_wxr import Comment, Post, Site, WxrWriter  # noqa: E402

SITE = Site()
WXR_CDATA_TRAP = "Close a CDATA section with ]]> and see: <code>a[b[0]]>c</code> still reads."


@dataclass(frozen=True)
class Samples:
    """Where write_samples put each file."""

    wxr: Path
    disqus: Path
    disqus_gzip: Path
    isso: Path
    hostile: dict[str, Path]  # name → file (see write_hostile)


def when(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in November 2026, UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# --- WordPress ------------------------------------------------------------------------------------

def wxr_comments(post_id: int) -> list[Comment]:
    """The comments of each WXR post, as WordPress's tables would hold them (ids are global there)."""
    akismet = (("akismet_result", "false"),
               ("akismet_history", 'a:2:{s:4:"time";d:1793613300.1;s:5:"event";s:9:"check-ham";}'))
    if post_id == 101:
        return [
            Comment(1, "Alice Archer", "alice@example.org", "https://alice.example.net", "203.0.113.5", when(2, 10, 15),
                    "<p>Great news for the harbour!</p>", meta=akismet),
            Comment(2, "Bob", "bob@example.org", "", "203.0.113.6", when(2, 11), "Agreed.\nThe ferry too.",
                    type="", parent=1),  # comment_type "" as rows from before WordPress 5.5 have it
            Comment(3, "Chloé Dubois-Ångström", "chloe@example.fr", "", "2001:db8::7", when(2, 12),
                    "<p>Très bien — 日本語のコメント 😀</p>", parent=2),
            Comment(4, "Dmitri", "dmitri@example.org", "", "203.0.113.8", when(2, 13),
                    "<p>Fourth level, still waiting.</p>", approved="0", parent=3),
            Comment(5, "Cheap Pills", "pills@spam.example", "https://spam.example/buy", "198.51.100.66", when(3),
                    "<a href=\"https://spam.example/buy\">buy now</a>", approved="spam",
                    meta=(("akismet_result", "true"),)),
            Comment(6, "Trolly", "troll@example.org", "", "203.0.113.9", when(3, 11), "<p>Binned.</p>",
                    approved="trash", meta=(("_wp_trash_meta_status", "1"), ("_wp_trash_meta_time", "1794000000"))),
            Comment(7, "Eve", "eve@example.org", "", "203.0.113.10", when(3, 12), "<p>Replying to the binned one.</p>",
                    parent=6),
            Comment(8, "Other Blog » Harbour roundup", "", "https://otherblog.example.com/2026/11/roundup/",
                    "192.0.2.40", when(4), "[&#8230;] the harbour reopens, says Harbour Town News [&#8230;]",
                    type="pingback"),
            Comment(9, "Tracker Weekly", "", "https://tracker.example.com/harbour/", "192.0.2.41", when(4, 11),
                    "<strong>Harbour</strong> A trackback excerpt.", type="trackback"),
            Comment(10, "Mallory", "mallory@example.org", "", "203.0.113.11", when(4, 12),
                    '<p onclick="alert(1)">Nice</p><script>alert("x")</script><img src=x onerror=alert(2)>'),
        ]
    if post_id == 102:
        return [
            Comment(11, "No Address", "not-an-email", "", "203.0.113.12", when(6), "<p>My email is wrong.</p>"),
            Comment(12, "Old Import", "old@example.org", "", "203.0.113.13", None, "<p>No GMT date.</p>",
                    date=datetime(2009, 5, 1, 14, 30)),
            Comment(13, "Cdata Cathy", "cathy@example.org", "", "203.0.113.14", when(6, 12), WXR_CDATA_TRAP),
            Comment(14, "Eda Editor", SITE.author_email, SITE.url, "203.0.113.1", when(6, 13),
                    "<p>Thanks, we fixed the address.</p>", parent=11, user_id=1),
        ]
    return [
        Comment(15, "Farah", "farah@example.org", "", "203.0.113.15", when(8), "<p>How do I reach you?</p>"),
        Comment(16, "Gustavo", "gustavo@example.org", "", "203.0.113.16", when(8, 11), "<p>Same question.</p>",
                approved="0", parent=15),
    ]


WXR_POSTS = (
    Post(101, "Harbour reopens after storm", "harbour-reopens-after-storm", when(1, 8),
         "<!-- wp:paragraph -->\n<p>The harbour is open again.</p>\n<!-- /wp:paragraph -->",
         categories=(("news", "News"),)),
    Post(102, "Café Ünïcödé gets new owners ☕", "cafe-unicode-new-owners", when(5, 8),
         "<p>Everything stays the same.</p>", categories=(("news", "News"), ("food", "Food & drink"))),
    Post(7, "About us", "about", datetime(2025, 1, 1, 12, tzinfo=UTC), "<p>Who we are.</p>", type="page"),
)


def write_wxr(path: Path) -> None:
    """WordPress 6.x's export of a site with two posts and a page. Post 101 ("Harbour reopens after storm",
    /2026/11/harbour-reopens-after-storm/): comments 1–10 — 1 approved (commentmeta akismet), 2 a reply
    to 1 (comment_type ""), 3 a reply to 2 in other scripts, 4 pending reply to 3 (four deep), 5 spam,
    6 trash, 7 an approved reply to 6, 8 a pingback, 9 a trackback, 10 <script>, onclick and onerror.
    Post 102 (a Unicode title): 11 an invalid email, 12 a 0000-00-00 00:00:00 comment_date_gmt (its
    comment_date is 2009-05-01 14:30:00), 13 a "]]>" inside its content (split the way wxr_cdata()
    splits it), 14 the editor's reply to 11 (comment_user_id 1). Page 7 ("About us", /about/):
    15 approved, 16 pending reply to 15. Dates are UTC in comment_date_gmt, UTC+1 in comment_date.
    WordPress's own export leaves spam out (it selects comment_approved <> 'spam'): comment 5 is
    there as other exporters, and the mapping, have it."""
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        writer = WxrWriter(out, SITE)
        writer.start([(2, "news", "News"), (3, "food", "Food & drink")])
        for post in WXR_POSTS:
            writer.item(post, wxr_comments(post.id))
        writer.end()


# --- Disqus ---------------------------------------------------------------------------------------

DISQUS_OPEN = """<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd \
http://disqus.com/api/schemas/1.0/disqus-internals.xsd">
    <category dsq:id="7070">
        <forum>harbourtown</forum>
        <title>General</title>
        <isDefault>true</isDefault>
    </category>
"""

# (dsq:id, <id>: the site's identifier, link, title, isDeleted)
DISQUS_THREADS = (
    ("5001", "101 https://news.example.org/?p=101", "https://news.example.org/2026/11/harbour-reopens-after-storm/",
     "Harbour reopens after storm", False),  # the identifier WordPress's Disqus plugin sets: "ID guid"
    ("5002", "", "https://news.example.org/2026/11/cafe-unicode-new-owners/?utm_source=feed",
     "Café Ünïcödé gets new owners ☕", False),
    ("5003", "about-page", "https://news.example.org/about/", "About us", False),
    ("5004", "https://news.example.org/2026/10/old-story/", "http://news.example.org/2026/10/old-story/",
     "Old story", False),  # an identifier that is a URL
    ("5005", "", "https://news.example.org/2026/09/withdrawn/", "Withdrawn story", True),
    ("5006", "", "https://news.example.org/", "Harbour Town News", False),  # the home page: no article id
)


def disqus_thread(dsq_id: str, identifier: str, link: str, title: str, deleted: bool) -> str:
    """One <thread> as Disqus exports it."""
    return f"""    <thread dsq:id="{dsq_id}">
        <id>{escape(identifier)}</id>
        <forum>harbourtown</forum>
        <category dsq:id="7070"/>
        <link>{escape(link)}</link>
        <title>{escape(title)}</title>
        <message/>
        <createdAt>2026-11-01T08:00:00Z</createdAt>
        <author>
            <email>editor@news.example.org</email>
            <name>Eda Editor</name>
            <isAnonymous>false</isAnonymous>
            <username>harbourtown_editor</username>
        </author>
        <ipAddress>203.0.113.1</ipAddress>
        <isClosed>false</isClosed>
        <isDeleted>{str(deleted).lower()}</isDeleted>
    </thread>
"""


def disqus_post(dsq_id: str | None, thread: str, message: str, created: str, name: str, email: str = "",
                username: str = "", parent: str = "", deleted: bool = False, spam: bool = False,
                ip: str = "203.0.113.20", site_id: str = "") -> str:
    """One <post> as Disqus exports it (no username: an anonymous guest)."""
    attribute = f' dsq:id="{dsq_id}"' if dsq_id is not None else ""
    user = f"\n            <username>{escape(username)}</username>" if username else ""
    reply = f'\n        <parent dsq:id="{parent}"/>' if parent else ""
    return f"""    <post{attribute}>
        <id>{escape(site_id)}</id>
        <message><![CDATA[{message}]]></message>
        <createdAt>{created}</createdAt>
        <isDeleted>{str(deleted).lower()}</isDeleted>
        <isSpam>{str(spam).lower()}</isSpam>
        <author>
            <email>{escape(email)}</email>
            <name>{escape(name)}</name>
            <isAnonymous>{str(not username).lower()}</isAnonymous>{user}
        </author>
        <ipAddress>{ip}</ipAddress>
        <thread dsq:id="{thread}"/>{reply}
    </post>
"""


DISQUS_POSTS = (
    disqus_post("9001", "5001", "<p>Great news for the harbour!</p>", "2026-11-02T10:15:00Z", "Alice Archer",
                "alice@example.org", "alice_archer", ip="203.0.113.5", site_id="wp_id=1"),
    disqus_post("9002", "5001", "<p>Agreed. The ferry too.</p>", "2026-11-02T11:00:00Z", "Bob", "bob@example.org",
                parent="9001"),
    disqus_post("9003", "5001", "<p>Très bien — 日本語のコメント 😀</p>", "2026-11-02T12:00:00Z",
                "Chloé Dubois-Ångström", "chloe@example.fr", "chloe_da", parent="9002", ip="2001:db8::7"),
    disqus_post("9004", "5001", "<p>Fourth level.</p>", "2026-11-02T13:00:00Z", "Dmitri", "dmitri@example.org",
                "dmitri", parent="9003"),
    disqus_post("9005", "5001", '<p><a href="https://spam.example/buy">buy now</a></p>', "2026-11-03T10:00:00Z",
                "Cheap Pills", "pills@spam.example", spam=True),
    disqus_post("9006", "5001", "", "2026-11-03T11:00:00Z", "Trolly", "troll@example.org", deleted=True),
    disqus_post("9007", "5001", "<p>Replying to the deleted one.</p>", "2026-11-03T12:00:00Z", "Eve",
                "eve@example.org", "eve", parent="9006"),
    disqus_post("9008", "5002", '<p onclick="alert(1)">Nice</p><script>alert("x")</script>', "2026-11-06T10:00:00Z",
                "Mallory", "mallory@example.org", "mallory"),
    disqus_post("9009", "5002", "<p>My clock was broken.</p>", "2026-13-45T99:00:00Z", "Clocky", "clocky@example.org"),
    disqus_post("9010", "5002", "<p>Tom &amp; Jerry &lt;3</p>", "2026-11-06T12:00:00", "Ampersand Amy",
                "amy@example.org"),  # a date without "Z", as Disqus's own example has it
    disqus_post("9011", "5003", "<p>My email is wrong.</p>", "2026-11-08T10:00:00Z", "No Address", "not-an-email"),
    disqus_post("9012", "5004", "<p>An old one.</p>", "2026-10-20T10:00:00Z", "Ivo", "ivo@example.org", "ivo"),
    disqus_post("9013", "5005", "<p>On a withdrawn story.</p>", "2026-09-20T10:00:00Z", "Hana", "hana@example.org"),
    disqus_post("9014", "5006", "<p>On the home page.</p>", "2026-11-09T10:00:00Z", "Lea", "lea@example.org"),
    disqus_post("9015", "4040", "<p>My thread is gone.</p>", "2026-11-09T11:00:00Z", "Orphan", "orphan@example.org"),
    disqus_post("9016", "5001", "", "2026-11-09T12:00:00Z", "Both", "both@example.org", deleted=True, spam=True),
    disqus_post(None, "5003", "<p>A post without dsq:id.</p>", "2026-11-09T13:00:00Z", "Nobody", "nobody@example.org"),
)


def write_disqus(path: Path) -> None:
    """A Disqus export. Threads: 5001 identifier "101 https://news.example.org/?p=101" (the WordPress
    plugin's), 5002 no identifier and a link with a query, 5003 identifier "about-page", 5004 an
    identifier that is a URL, 5005 deleted, 5006 the home page (no path). Posts: 9001 top, 9002 reply
    to 9001, 9003 to 9002 (other scripts), 9004 to 9003; 9005 spam; 9006 deleted, 9007 a reply to it;
    9008 <script> and onclick; 9009 an unreadable createdAt; 9010 a createdAt without "Z"; 9011 an
    invalid email; 9012 on 5004; 9013 on the deleted thread; 9014 on the home page; 9015 on thread
    4040, which is not in the file; 9016 deleted and spam; then a post without dsq:id."""
    path.write_text(DISQUS_OPEN + "".join(disqus_thread(*thread) for thread in DISQUS_THREADS)
                    + "\n" + "".join(DISQUS_POSTS) + "\n</disqus>\n", encoding="utf-8")


def write_large_disqus(path: Path, posts: int, threads: int = 200, seed: int = 7) -> None:
    """A Disqus export of `threads` threads and `posts` posts (a third replies, 2% spam), written as made."""
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with open(path, "w", encoding="utf-8") as out:
        out.write(DISQUS_OPEN)
        for number in range(threads):
            out.write(disqus_thread(str(100_000 + number), f"story-{number}",
                                    f"https://news.example.org/stories/{number}/", f"Story {number}", False))
        for number in range(posts):
            thread = 100_000 + number % threads
            parent = str(1_000_000 + number - threads) if number >= threads and rng.random() < 0.33 else ""
            words = " ".join(rng.choice(("tide", "ferry", "café", "storm", "harbour")) for _ in range(40))
            created = (start + timedelta(minutes=number)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(disqus_post(str(1_000_000 + number), str(thread), f"<p>{words}</p>", created,
                                  f"Reader {number}", f"reader{number}@example.org", f"reader_{number}",
                                  parent=parent, spam=rng.random() < 0.02))
        out.write("</disqus>\n")


# --- Isso -----------------------------------------------------------------------------------------

# Isso's own DDL (isso/db/preferences.py, threads.py, comments.py, __init__.py), statement for statement as
# Isso 0.14 runs it on a new database (database version 5).
ISSO_SCHEMA = """
CREATE TABLE IF NOT EXISTS preferences (    key VARCHAR PRIMARY KEY, value VARCHAR );
CREATE TABLE IF NOT EXISTS threads (     id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE IF NOT EXISTS comments (
                tid REFERENCES threads(id),
                id INTEGER PRIMARY KEY,
                parent INTEGER,
                created FLOAT NOT NULL,
                modified FLOAT,
                mode INTEGER,
                remote_addr VARCHAR,
                text VARCHAR NOT NULL,
                author VARCHAR,
                email VARCHAR,
                website VARCHAR,
                likes INTEGER DEFAULT 0,
                dislikes INTEGER DEFAULT 0,
                voters BLOB NOT NULL,
                notification INTEGER DEFAULT 0
            );
PRAGMA user_version = 5;
CREATE TRIGGER IF NOT EXISTS remove_stale_threads AFTER DELETE ON comments BEGIN     DELETE FROM threads WHERE id NOT IN (SELECT tid FROM comments); END;
"""

ISSO_THREADS = (
    (1, "/2026/11/harbour-reopens-after-storm/", "Harbour reopens after storm"),
    (2, "/café/ünïcode/", "Café Ünïcödé ☕"),
    (3, "https://news.example.org/about/", None),  # data-isso-id set to a full address; no title
    (4, "/", "Harbour Town News"),
)

T0 = when(2, 10, 15).timestamp() + 0.25  # Isso keeps time.time(): a float
# (id, tid, parent, created, modified, mode, remote_addr as Isso keeps it (anonymized), text, author, email, website)
ISSO_COMMENTS = (
    (1, 1, None, T0, None, 1, "203.0.113.0", "Great **news** for the harbour!\n\n- ferry\n- market",
     "Alice Archer", "alice@example.org", "https://alice.example.net"),
    (2, 1, 1, T0 + 2700, T0 + 3000, 1, "203.0.113.0", "Agreed. *The ferry too.*", "Bob", "bob@example.org", None),
    (3, 1, 1, T0 + 6300, None, 2, "203.0.113.0", "Still waiting for a moderator.", "Dmitri", None, None),
    (4, 1, None, T0 + 86400, None, 4, "203.0.113.0", "", None, "troll@example.org", None),  # as Isso deletes one
    (5, 1, 4, T0 + 90000, None, 1, "203.0.113.0", "Replying to the deleted one.", "Eve", "eve@example.org", None),
    (6, 2, None, T0 + 345600, None, 1, "2001:0db8:0000:0000:0000:0000:0000:0000",
     "Très bien — 日本語のコメント 😀 <script>alert(1)</script>", "Chloé Dubois-Ångström", None, None),
    (7, 2, 6, "yesterday", None, 1, "203.0.113.0", "My clock was broken.", "Clocky", None, None),  # a damaged row
    (8, 3, None, T0 + 518400, None, 1, "203.0.113.0", "My email is wrong.", "No Address", "not-an-email", ""),
    (9, 4, None, T0 + 604800, None, 1, "203.0.113.0", "On the home page.", "Lea", None, None),
    (10, 99, None, T0 + 604900, None, 1, "203.0.113.0", "My thread is gone.", "Orphan", None, None),
    (11, 1, None, T0 + 605000, None, 3, "203.0.113.0", "A mode Isso never writes.", "Odd", None, None),
)


def isso_voters(remote_addr: str) -> bytes:
    """Isso's 256-byte Bloom filter of who voted, holding the author's address (isso/utils Bloomfilter)."""
    array = bytearray(256)
    probe = int(hashlib.sha256(remote_addr.encode()).hexdigest(), 16)
    for _ in range(11):
        bit = probe & 2047
        array[bit // 8] |= 2 ** (bit % 8)
        probe >>= 11
    return bytes(array)


def write_isso(path: Path) -> None:
    """An Isso database. Threads: 1 "/2026/11/harbour-reopens-after-storm/", 2 "/café/ünïcode/", 3 an
    absolute uri without title, 4 "/". Comments: 1 approved Markdown; 2 reply to 1 (edited); 3 pending
    reply to 1 (Isso keeps replies one level deep); 4 deleted (mode 4, as Isso leaves a comment with
    replies: text "", no author); 5 a reply to 4; 6 other scripts and a <script>, IPv6; 7 a created
    that is no number; 8 an invalid email; 9 on "/"; 10 on thread 99, which is gone; 11 mode 3."""
    with sqlite3.connect(path) as connection:
        connection.executescript(ISSO_SCHEMA)
        connection.execute("INSERT INTO preferences VALUES ('session-key', ?)", ("5e55" * 12,))
        connection.executemany("INSERT INTO threads VALUES (?, ?, ?)", ISSO_THREADS)
        connection.executemany(
            "INSERT INTO comments (id, tid, parent, created, modified, mode, remote_addr, text, author, email,"
            " website, likes, dislikes, voters, notification) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0)",
            [(*row, 2 if row[0] == 1 else 0, isso_voters(row[6])) for row in ISSO_COMMENTS])
    connection.close()


# --- Hostile and broken files ---------------------------------------------------------------------

BILLION_LAUGHS = '<?xml version="1.0"?>\n<!DOCTYPE disqus [\n  <!ENTITY lol "lol">\n' + "".join(
    f'  <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n' for n in range(1, 10)
) + ']>\n<disqus xmlns="http://disqus.com"><post><message>&lol9;</message></post></disqus>\n'


def write_hostile(folder: Path, external_url: str = "http://127.0.0.1:9/secret") -> dict[str, Path]:
    """Files no parser may read through: billion laughs, external entities (a file, `external_url`, a
    parameter entity), an external DTD, bytes that are no XML, XML with another root, an empty file;
    for Isso, a text file and an SQLite database without Isso's tables."""
    head, empty = '<?xml version="1.0"?>\n<!DOCTYPE disqus', '<disqus xmlns="http://disqus.com"/>\n'
    disqus = '<disqus xmlns="http://disqus.com"><post><message>&xxe;</message></post></disqus>\n'
    texts = {
        "billion_laughs.xml": BILLION_LAUGHS,
        "external_file.xml": f'{head} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n{disqus}',
        "external_http.xml": f'{head} [<!ENTITY xxe SYSTEM "{external_url}">]>\n{disqus}',
        "parameter_entity.xml": f'{head} [<!ENTITY % ext SYSTEM "{external_url}"> %ext;]>\n{empty}',
        "external_dtd.xml": f'{head} SYSTEM "{external_url}">\n{empty}',
        "wrong_root.xml": '<?xml version="1.0"?>\n<html><body><p>Not an export.</p></body></html>\n',
        "truncated.xml": DISQUS_OPEN + disqus_thread(*DISQUS_THREADS[0])[:200],
        "empty.xml": "",
        "not_isso.db": "This is a text file, not an SQLite database.\n",
    }
    files = {name: folder / name for name in [*texts, "not_xml.bin", "no_isso_tables.db"]}
    for name, text in texts.items():
        files[name].write_text(text, encoding="utf-8")
    files["not_xml.bin"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with sqlite3.connect(files["no_isso_tables.db"]) as connection:
        connection.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)")
    connection.close()
    return files


def write_samples(folder: Path) -> Samples:
    """Every sample, in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    samples = Samples(wxr=folder / "wordpress.2026-12-04.xml", disqus=folder / "harbourtown-all.xml",
                      disqus_gzip=folder / "harbourtown-all.xml.gz", isso=folder / "comments.db",
                      hostile=write_hostile(folder))
    write_wxr(samples.wxr)
    write_disqus(samples.disqus)
    samples.disqus_gzip.write_bytes(gzip.compress(samples.disqus.read_bytes(), mtime=0))  # Disqus mails .xml.gz
    write_isso(samples.isso)
    return samples


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_import_samples.py FOLDER")
    for name, path in vars(write_samples(Path(sys.argv[1]))).items():
        print(name, path)
