"""The Atom feeds: an article's and the site's latest 50 approved comments.

Each feed is read by feedparser (as a feed reader would) and checked against RFC 4287 with
ElementTree (namespace; id, title, updated on the feed and every entry). Every test that needs
a database runs on SQLite and on PostgreSQL: approved comments only, never an email or an IP,
newest first, hostile text escaped, and ETags that change exactly when the feed does.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from xml.etree import ElementTree

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from moderation.core import atom
from moderation.shared import now
from moderation.store import articles
from moderation.store.database import writing
from moderation.store.models import Comment

from helpers import add_moderator, approved, comment, csrf_from, logged_in, make_app, moderate, payloads, submit

NS = "{http://www.w3.org/2005/Atom}"
BLOG = "https://blog.example"
POST = f"{BLOG}/2026/11/27/hello-world/"
ARTICLE_FEED, SITE_FEED = "/feeds/articles/12345.atom", "/feeds/comments.atom"
FEEDS = [ARTICLE_FEED, SITE_FEED]
WHEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def read(response: Any) -> tuple[Any, ElementTree.Element]:
    """A 200 feed, parsed by feedparser and by ElementTree, checked to be valid Atom 1.0."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    data = response.get_data()
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ElementTree.fromstring(data)
    assert root.tag == f"{NS}feed"
    for element in (root, *root.findall(f"{NS}entry")):
        for required in ("id", "title", "updated"):
            [found] = element.findall(f"{NS}{required}")
            assert found.text and found.text.strip(), (element.tag, required)
        assert WHEN.fullmatch(element.findtext(f"{NS}updated") or "")
    for entry in root.findall(f"{NS}entry"):
        assert WHEN.fullmatch(entry.findtext(f"{NS}published") or "")
        assert entry.findtext(f"{NS}author/{NS}name") is not None
        assert entry.find(f"{NS}content").get("type") == "html"
    [self_link] = [link for link in root.findall(f"{NS}link") if link.get("rel") == "self"]
    assert self_link.get("href", "").endswith(response.request.path)
    return parsed, root


def entry_ids(response: Any) -> list[int]:
    """The comment ids a feed lists, in its order (from each entry's tag: id)."""
    return [int(entry.findtext(f"{NS}id").rsplit("-", 1)[1]) for entry in read(response)[1].findall(f"{NS}entry")]


def etag(client: FlaskClient, path: str) -> str:
    """The feed's current ETag."""
    response = client.get(path)
    assert response.status_code == 200
    return response.headers["ETag"]


@pytest.fixture
def blog(database_url: str) -> Flask:
    """An app that takes article titles and URLs from BLOG (an allowed origin)."""
    return make_app(database_url, ALLOWED_ORIGINS=BLOG)


def test_an_article_feed_shows_each_approved_comment_as_readers_see_it(blog: Flask) -> None:
    client, token = blog.test_client(), add_moderator(blog)
    first = approved(client, token, body="The *first* one.", name="Ann", website="https://ann.example",
                     article_title="Hello world", article_url=POST)
    second = approved(client, token, body="A reply, <b>bold</b>.", name="Ben", parent_id=first)
    listed = {c["id"]: c for c in client.get("/api/v1/articles/12345/comments").json["comments"]}
    parsed, root = read(client.get(ARTICLE_FEED))
    assert parsed.feed.title == "Comments on Hello world"
    assert [link.get("href") for link in root.findall(f"{NS}link") if link.get("rel") == "alternate"] == [POST]
    assert parsed.feed.id == "http://localhost/feeds/articles/12345.atom"
    assert [entry.author for entry in parsed.entries] == ["Ben", "Ann"]  # newest first
    assert parsed.entries[1].author_detail.href == "https://ann.example"
    for entry, number in zip(root.findall(f"{NS}entry"), (second, first)):
        assert entry.findtext(f"{NS}content") == listed[number]["html"]  # the sanitized HTML, unescaped once
        assert entry.find(f"{NS}link").get("href") == f"{POST}#comment-{number}"
        assert re.fullmatch(rf"tag:localhost,\d{{4}}-\d\d-\d\d:comment-{number}", entry.findtext(f"{NS}id"))
        assert entry.findtext(f"{NS}published") == listed[number]["created_at"]
        assert entry.findtext(f"{NS}title").endswith(" on Hello world")
    assert root.findtext(f"{NS}updated") == max(e.findtext(f"{NS}updated") for e in root.findall(f"{NS}entry"))


@pytest.mark.parametrize("public_url", ["", "https://comments.news.example"])
def test_without_an_article_url_a_comment_links_to_the_service(database_url: str, public_url: str) -> None:
    app = make_app(database_url, PUBLIC_URL=public_url)
    client = app.test_client()
    number = approved(client, add_moderator(app))
    base, host = (public_url, "comments.news.example") if public_url else ("http://localhost", "localhost")
    for path in FEEDS:
        parsed, root = read(client.get(path))
        assert parsed.feed.id == f"{base}{path}"
        assert parsed.entries[0].link == f"{base}/api/v1/articles/12345/comments#comment-{number}"
        assert parsed.entries[0].id.startswith(f"tag:{host},")
    assert read(client.get(ARTICLE_FEED))[0].feed.title == "Comments on 12345"  # no title known: the id


def test_an_entry_keeps_its_id_when_its_article_gets_a_url(app: Flask, client: FlaskClient, token: str) -> None:
    approved(client, token)
    before = read(client.get(SITE_FEED))[0].entries[0]
    with app.app_context():
        articles.set_details("12345", "Now titled", POST, now())
    after = read(client.get(SITE_FEED))[0].entries[0]
    assert after.id == before.id and after.link != before.link and after.link.startswith(POST)


def test_an_email_or_an_ip_address_never_appears(client: FlaskClient, token: str) -> None:
    client.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    response = client.post("/api/v1/articles/12345/comments",
                           json=comment(email="Secret.Person@Example.org", website="https://site.example"))
    assert moderate(client, token, response.json["id"], "approve").status_code == 200
    queued = client.get("/api/v1/moderation/queue?status=approved", headers={"Authorization": f"Bearer {token}"})
    [stored] = queued.json["comments"]
    assert stored["ip"] == "203.0.113.77"  # the address was kept, so its absence below means something
    for path in FEEDS:
        data = client.get(path).get_data().lower()
        assert entry_ids(client.get(path)) == [stored["id"]]
        for private in (b"secret.person", b"example.org", b"203.0.113", b"email", b"@"):
            assert private not in data, (path, private)


def test_only_approved_comments_ever_appear(client: FlaskClient, token: str) -> None:
    shown = approved(client, token, body="Approved and kept.")
    withdrawn = approved(client, token, body="Approved, then rejected.")
    deleted = approved(client, token, body="Approved, then deleted.")
    marked = approved(client, token, body="Approved, then marked as spam.")
    pending = submit(client, body="Still pending.").json["id"]
    rejected = submit(client, body="Rejected.").json["id"]
    spam = submit(client, body="Spam by a moderator.").json["id"]
    honeypot = submit(client, body="A bot's.", hp="filled").json["id"]
    for number, action in ((withdrawn, "reject"), (deleted, "delete"), (marked, "spam"), (rejected, "reject"),
                           (spam, "spam")):
        assert moderate(client, token, number, action).status_code == 200
    for path in FEEDS:
        assert entry_ids(client.get(path)) == [shown]
        text = client.get(path).get_data(as_text=True)
        for hidden in ("then", "pending", "Rejected", "Spam", "bot"):
            assert hidden not in text, (path, hidden)
    assert pending and honeypot  # held and kept as spam: neither appears above


def test_newest_first_and_at_most_fifty(app: Flask, client: FlaskClient, token: str) -> None:
    elsewhere = (10, 40)
    ids = [approved(client, token, "other" if n in elsewhere else "12345", body=f"Comment {n}") for n in range(54)]
    here = [number for n, number in enumerate(ids) if n not in elsewhere]
    assert entry_ids(client.get(ARTICLE_FEED)) == here[::-1][:50]
    assert entry_ids(client.get(SITE_FEED)) == ids[::-1][:50]
    # Newest by when it was written, not by id: an imported comment keeps its old date.
    with app.app_context(), writing() as db:
        db.execute(update(Comment).where(Comment.id == ids[-1]).values(
            created_at=datetime(2015, 3, 1, tzinfo=timezone.utc)))
    assert entry_ids(client.get(SITE_FEED)) == ids[-2::-1][:50]
    assert entry_ids(client.get(ARTICLE_FEED)) == here[-2::-1][:50]


HOSTILE_NAMES = ["<script>alert(1)</script>", "]]><x>", "Ann & Bob's \"blog\"", "\u202eevil\u202c", "Z\u0308oë 名前",
                 "A\x01B\x07C\x1b\x0b\x0c", "tab\tand\nline", "\ufffe\uffff"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_bodies_and_titles_are_escaped_and_the_feed_still_parses(
        app: Flask, client: FlaskClient, token: str, name: str) -> None:
    number = approved(client, token)
    # Stored as an import might bring them, past every check at the door.
    with app.app_context():
        with writing() as db:
            db.execute(update(Comment).where(Comment.id == number).values(
                author_name=name, body_html=f"<p>{name}</p>]]><![CDATA[x]]>\x01"))
        articles.set_details("12345", f"Title {name}", None, now())
    expected = atom.xml_text(name)
    for path in FEEDS:
        response = client.get(path)
        data = response.get_data()
        assert b"<script" not in data and b"<x>" not in data and b"<![CDATA[" not in data
        parsed, root = read(response)
        [entry] = root.findall(f"{NS}entry")
        assert entry.findtext(f"{NS}author/{NS}name") == expected
        assert entry.findtext(f"{NS}content") == f"<p>{expected}</p>]]><![CDATA[x]]>\ufffd"
        assert entry.findtext(f"{NS}title") == f"{expected} on Title {expected}"
    assert read(client.get(ARTICLE_FEED))[1].findtext(f"{NS}title") == f"Comments on Title {expected}"


def test_the_xss_corpus_comes_out_as_the_sanitized_html(client: FlaskClient, token: str) -> None:
    bodies = payloads()[:50]
    ids = [submit(client, body=body, email=f"r{n}@example.org").json["id"] for n, body in enumerate(bodies)]
    for number in ids:
        assert moderate(client, token, number, "approve").status_code == 200
    listed = {c["id"]: c["html"] for c in client.get("/api/v1/articles/12345/comments?limit=200").json["comments"]}
    for path in FEEDS:
        data = client.get(path).get_data()
        assert b"<script" not in data.lower() and b"<img" not in data.lower()
        root = read(client.get(path))[1]
        shown = {int(e.findtext(f"{NS}id").rsplit("-", 1)[1]): e.findtext(f"{NS}content")
                 for e in root.findall(f"{NS}entry")}
        assert shown == {number: listed[number] for number in ids}


@pytest.mark.parametrize("path", FEEDS)
def test_a_matching_if_none_match_gets_304_with_the_same_headers(client: FlaskClient, token: str,
                                                                 path: str) -> None:
    approved(client, token)
    first = client.get(path)
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert re.fullmatch(r'"[0-9a-f]{24}"', first.headers["ETag"])
    for sent in (first.headers["ETag"], "W/" + first.headers["ETag"], f'"other", {first.headers["ETag"]}', "*"):
        again = client.get(path, headers={"If-None-Match": sent})
        assert again.status_code == 304 and again.get_data() == b"", sent
        assert (again.headers["ETag"], again.headers["Cache-Control"]) == (first.headers["ETag"], "public, no-cache")
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get(path).headers["ETag"] != client.get("/api/v1/articles/12345/comments").headers["ETag"]


def _edit(app: Flask, number: int) -> None:
    mod, page = logged_in(app), f"/moderate/comments/{number}/edit"
    assert mod.post(page, data={"body": "Edited text.", "csrf_token": csrf_from(mod, page)}).status_code == 303


def _retitle(app: Flask) -> None:
    with app.app_context():
        articles.set_details("12345", "A new title", POST, now())


# name -> (change made to the approved comment `number`, whether the feeds change)
CHANGES = {
    "approve another": (lambda app, c, t, n: approved(c, t, body="Another one."), True),
    "reject after approval": (lambda app, c, t, n: moderate(c, t, n, "reject"), True),
    "spam after approval": (lambda app, c, t, n: moderate(c, t, n, "spam"), True),
    "delete": (lambda app, c, t, n: moderate(c, t, n, "delete"), True),
    "edit": (lambda app, c, t, n: _edit(app, n), True),
    "new title and url": (lambda app, c, t, n: _retitle(app), True),
    "a new pending comment": (lambda app, c, t, n: submit(c, body="Waiting."), False),
    "a pending one rejected": (lambda app, c, t, n: moderate(c, t, submit(c, body="No.").json["id"], "reject"),
                               False),
}


@pytest.mark.parametrize("path", FEEDS)
@pytest.mark.parametrize("change", CHANGES)
def test_the_etag_changes_exactly_when_the_feed_does(app: Flask, client: FlaskClient, token: str, path: str,
                                                     change: str) -> None:
    kept = approved(client, token, body="Kept throughout.")
    number = approved(client, token, body="The one that changes.")
    approved(client, token, "other", body="On another article.")
    before, body = etag(client, path), client.get(path).get_data()
    make, changes = CHANGES[change]
    make(app, client, token, number)
    after = client.get(path)
    assert (after.headers["ETag"] != before) is changes
    assert (after.get_data() != body) is changes
    assert (client.get(path, headers={"If-None-Match": before}).status_code == 304) is not changes
    assert kept in entry_ids(after)


def test_an_article_elsewhere_changes_the_site_feed_only(client: FlaskClient, token: str) -> None:
    approved(client, token)
    article, site = etag(client, ARTICLE_FEED), etag(client, SITE_FEED)
    approved(client, token, "other", body="Elsewhere.")
    assert etag(client, ARTICLE_FEED) == article and etag(client, SITE_FEED) != site


def test_the_etags_depend_on_the_address_the_links_are_made_of(client: FlaskClient, token: str) -> None:
    approved(client, token)
    for path in FEEDS:
        here, there = (client.get(path, base_url=base) for base in ("http://localhost", "https://other.example"))
        assert here.headers["ETag"] != there.headers["ETag"]
        assert b"https://other.example/" in there.get_data() and b"localhost" not in there.get_data()


def test_an_unknown_article_has_an_empty_valid_feed(client: FlaskClient) -> None:
    for path in ("/feeds/articles/no-such-post.atom", SITE_FEED, "/feeds/articles/a.b~c_d-e.atom"):
        parsed, root = read(client.get(path))
        assert parsed.entries == [] and root.findall(f"{NS}entry") == []
    assert read(client.get("/feeds/articles/a.b~c_d-e.atom"))[0].feed.title == "Comments on a.b~c_d-e"


@pytest.mark.parametrize("article", ["bad%20id", "-starts-badly", "a" * 129, "caf%C3%A9", "a%2Fb", "x%0Ay"])
def test_an_invalid_article_id_is_400_as_the_request_asks(client: FlaskClient, article: str) -> None:
    as_json = client.get(f"/feeds/articles/{article}.atom", headers={"Accept": "application/json"})
    assert as_json.status_code == 400 and as_json.json["error"] == "invalid_article_id"
    as_page = client.get(f"/feeds/articles/{article}.atom", headers={"Accept": "text/html"})
    assert as_page.status_code == 400 and as_page.mimetype == "text/html"
    assert "invalid_article_id" in as_page.get_data(as_text=True)


def test_a_feed_opened_in_a_browser_runs_nothing(client: FlaskClient) -> None:
    response = client.get(SITE_FEED)
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_demo_article_links_its_feed(client: FlaskClient, token: str) -> None:
    html = client.get("/demo/paper-maps").get_data(as_text=True)
    [link] = re.findall(r'<link rel="alternate"[^>]*>', html, re.S)
    assert 'type="application/atom+xml"' in link and 'title="Comments on A weekend with paper maps"' in link
    href = re.search(r'href="([^"]+)"', link).group(1)
    assert href == "/feeds/articles/demo-paper-maps.atom"
    number = approved(client, token, "demo-paper-maps")
    assert entry_ids(client.get(href)) == [number]


# --- The pure document builder -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kept"), [
    ("plain", "plain"), ("tab\tnew\nline\rcr", "tab\tnew\nline\rcr"), ("\x00\x08\x0b\x0c\x0e\x1f", "\ufffd" * 6),
    ("\x7f\x85\x9f", "\x7f\x85\x9f"), ("\u202e\u2066", "\u202e\u2066"), ("\ud800x", "\ufffdx"),
    ("\ufffe\uffff\ufffd", "\ufffd\ufffd\ufffd"), ("😀", "😀"), ("<&>]]>", "<&>]]>")])
def test_xml_text_replaces_only_what_xml_cannot_hold(text: str, kept: str) -> None:
    assert atom.xml_text(text) == kept


@pytest.mark.parametrize(("url", "link"), [
    ("https://blog.example/p/", "https://blog.example/p/#comment-7"),
    ("https://blog.example/p/#respond", "https://blog.example/p/#comment-7"),
    ("http://blog.example/?p=1", "http://blog.example/?p=1#comment-7"),
    (None, "https://svc.example/api/v1/articles/a/comments#comment-7"),
    ("", "https://svc.example/api/v1/articles/a/comments#comment-7"),
    ("javascript:alert(1)", "https://svc.example/api/v1/articles/a/comments#comment-7"),
    ("http://[::1/broken", "https://svc.example/api/v1/articles/a/comments#comment-7"),
])
def test_a_permalink_is_the_article_s_page_when_it_is_a_web_address(url: str | None, link: str) -> None:
    assert atom.permalink(url, "https://svc.example/api/v1/articles/a/comments", 7) == link


@pytest.mark.parametrize(("base", "authority"), [
    ("https://Comments.News.example", "comments.news.example"), ("http://localhost:5000/", "localhost"),
    ("https://svc.example/comments/", "svc.example"), ("http://[::1/", "localhost")])
def test_ids_name_the_service_s_host(base: str, authority: str) -> None:
    assert atom.tag_authority(base) == authority
    assert atom.comment_id(authority, datetime(2026, 11, 27, 18, tzinfo=timezone.utc), 17) == (
        f"tag:{authority},2026-11-27:comment-17")


def test_an_empty_feed_is_valid_and_says_when_nothing_was_published() -> None:
    data = atom.document(atom.Feed(id="urn:x", title="t", self_url="https://s.example/f.atom", alternate=None,
                                   entries=[]))
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ElementTree.fromstring(data)
    assert (root.tag, root.findtext(f"{NS}updated")) == (f"{NS}feed", "1970-01-01T00:00:00Z")
    assert not feedparser.parse(data).bozo

