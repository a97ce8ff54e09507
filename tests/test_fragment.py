"""GET /articles/<id>/comments.html: the approved comments as an HTML fragment, for readers
without JavaScript and for search engines — what it shows, what it never shows, and that it
pages and revalidates like the JSON list."""

from __future__ import annotations

import html5lib
import pytest

from moderation.shared import now
from moderation.store import articles

from helpers import approved, moderate, submit, text_of

URL = "/articles/12345/comments.html"
STATIC = ".//div[@class='comments-static']"


def tree(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response.mimetype == "text/html"
    return html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)


def shown_ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(li.get("id").removeprefix("comment-")) for li in tree(response).iter("li")]


def test_approved_comments_threaded_and_nothing_else(client, token) -> None:  # type: ignore[no-untyped-def]
    first = approved(client, token, body="The *first* <em>one</em>")
    reply = approved(client, token, body="A reply", parent_id=first)
    pending = submit(client, body="Not yet public").json["id"]
    page = tree(client.get(URL))
    assert text_of(page.find(".//h2")) == "2 Comments"
    top = page.find(".//ol[@class='comment-list']")
    assert [li.get("id") for li in top.findall("li")] == [f"comment-{first}"]
    nested = top.find("li/ol[@class='children']/li")
    assert nested.get("id") == f"comment-{reply}" and "depth-2" in nested.get("class")
    assert page.find(f".//li[@id='comment-{first}']//div[@class='comment-content']/p/em").text == "one"
    assert f"comment-{pending}" not in client.get(URL).get_data(as_text=True)
    assert "Not yet public" not in client.get(URL).get_data(as_text=True)
    assert "ann@example.org" not in client.get(URL).get_data(as_text=True)


def test_one_comment_is_singular_and_none_says_so(client, token) -> None:  # type: ignore[no-untyped-def]
    assert text_of(tree(client.get(URL)).find(".//p[@class='no-comments']")) == "No comments yet."
    approved(client, token)
    assert text_of(tree(client.get(URL)).find(".//h2")) == "1 Comment"


def test_what_a_stranger_wrote_stays_text_and_links_are_theirs_only_if_web(client, token) -> None:  # type: ignore[no-untyped-def]
    approved(client, token, name="<script>alert(1)</script>", website="https://ann.example/", body="<b onclick=x>hi</b>")
    approved(client, token, name="Bob", website="", body="plain")
    page = tree(client.get(URL))
    for element in page.iter():
        assert element.tag != "script" and not any(name.startswith("on") for name in element.attrib)
    names = [text_of(fn) for fn in page.iter("b") if fn.get("class") == "fn"]
    assert names == ["<script>alert(1)</script>", "Bob"]
    link = page.find(".//b[@class='fn']/a")
    assert (link.get("href"), link.get("rel")) == ("https://ann.example/", "nofollow ugc")
    avatar = page.find(".//img[@class='avatar']")
    assert avatar.get("src").startswith("http://localhost/avatars/") and avatar.get("alt") == ""


def test_a_closed_article_says_so(app, client, token) -> None:  # type: ignore[no-untyped-def]
    approved(client, token)
    assert "Comments are closed." not in client.get(URL).get_data(as_text=True)
    with app.app_context():
        articles.set_closed("12345", True, now())
    assert text_of(tree(client.get(URL)).find(".//p[@class='comments-closed']")) == "Comments are closed."


def test_pages_follow_the_same_cursors_as_the_json_list(client, token) -> None:  # type: ignore[no-untyped-def]
    made = [approved(client, token, body=f"Comment {n}") for n in range(5)]
    seen, url = [], URL + "?limit=2"
    for _ in range(5):
        response = client.get(url)
        seen += shown_ids(response)
        more = tree(response).find(".//nav/a[@rel='next']")
        if more is None:
            break
        url = more.get("href").removeprefix("http://localhost")
    assert seen == made
    json_next = client.get("/api/v1/articles/12345/comments?limit=2").json["next"]
    assert shown_ids(client.get(f"{URL}?limit=2&after={json_next}")) == made[2:4]  # one cursor, both lists


def test_newest_first_threads(client, token) -> None:  # type: ignore[no-untyped-def]
    a = approved(client, token, body="A")
    b = approved(client, token, body="B")
    a1 = approved(client, token, body="A1", parent_id=a)
    assert shown_ids(client.get(URL + "?order=newest")) == [b, a, a1]


def test_etag_cache_control_and_revalidation(client, token) -> None:  # type: ignore[no-untyped-def]
    approved(client, token)
    first = client.get(URL)
    assert first.headers["Cache-Control"] == "public, no-cache" and "Accept-Language" in first.headers["Vary"]
    assert client.get(URL, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get(URL).get_data() == first.get_data()  # from the page cache, the same
    moderate(client, token, approved(client, token, body="Second"), "approve")
    changed = client.get(URL, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Second" in changed.get_data(as_text=True)


def test_each_language_is_its_own_representation(client, token) -> None:  # type: ignore[no-untyped-def]
    approved(client, token)
    english = client.get(URL)
    german = client.get(URL, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert tree(german).find(STATIC).get("lang") == "de" and german.headers["ETag"] != english.headers["ETag"]
    assert text_of(tree(german).find(".//h2")) == "1 Kommentar"
    arabic = tree(client.get(URL + "?lang=ar"))
    assert (arabic.find(STATIC).get("lang"), arabic.find(STATIC).get("dir")) == ("ar", "rtl")
    assert client.get(URL, headers={"If-None-Match": english.headers["ETag"], "Accept-Language": "de"}).status_code == 200


@pytest.mark.parametrize("query, status", [("?limit=0", 422), ("?order=up", 422), ("?after=nope", 400)])
def test_bad_queries_get_clear_errors(client, query, status) -> None:  # type: ignore[no-untyped-def]
    assert client.get(URL + query).status_code == status


def test_an_invalid_article_id(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/articles/%3Cx%3E/comments.html").status_code == 400
