"""The no-JS pages name their article: the thanks page and the form page shown again with its
errors get the article's title as their heading (escaped) and a link back to it, only ever to an
http(s) address. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from moderation.store.database import writing
from moderation.store.models import Article

from helpers import assert_nothing_runs, make_app, parse, submit, text_of

BLOG = "https://blog.example"
EVIL_TITLE = '<script>alert("t")</script> & “quotes”'


@pytest.fixture
def blog(database_url: str) -> Any:
    """A client of an app that allows https://blog.example, with article 12345 created."""
    app = make_app(database_url, ALLOWED_ORIGINS=BLOG)
    client = app.test_client()
    assert submit(client, article_url=f"{BLOG}/2026/12/post/", article_title="Paper maps").status_code == 202
    return app, client


def stored(app: Any, **values: str | None) -> None:
    """Set article 12345's title or URL as a moderator (or an import) might have."""
    with app.app_context(), writing() as db:
        db.execute(update(Article).where(Article.id == "12345").values(**values))


def form(**fields: str) -> dict[str, str]:
    """A plain-form submission missing its comment (so refused with 422), fields overridden."""
    return {"comment": "", "author": "Ann", "email": "ann@example.org", "comment_post_ID": "12345", **fields}


def heading_and_back(response: Any) -> tuple[str | None, list[tuple[str, str]]]:
    """The page's h1 text and its links out of the form (href, text)."""
    tree = assert_nothing_runs(response)
    h1 = tree.find(".//h1")
    links = [(a.get("href"), text_of(a)) for a in tree.iterfind(".//p[@class='back']/a")]
    return (text_of(h1) if h1 is not None else None), links


def test_the_form_page_names_the_stored_article_and_links_back(blog: Any) -> None:
    _, client = blog
    refused = client.post("/comments", data=form())
    assert refused.status_code == 422
    assert heading_and_back(refused) == ("Paper maps", [(f"{BLOG}/2026/12/post/", "Back to the article")])
    assert parse(refused).find(".//input[@name='author']").get("value") == "Ann"  # the rest as before


def test_the_thanks_page_names_the_stored_article_and_links_back(blog: Any) -> None:
    _, client = blog
    posted = client.post("/comments", data=form(comment="A comment."))
    assert posted.status_code == 303 and posted.headers["Location"].startswith("/comments/thanks?article=12345&")
    landed = client.get(posted.headers["Location"])
    assert heading_and_back(landed) == ("Paper maps", [(f"{BLOG}/2026/12/post/", "Back to the article")])
    assert "awaiting moderation" in text_of(parse(landed).find(".//main"))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//evil.example/",
                                 "https://evil.example\\@blog.example/"])
def test_only_an_http_address_becomes_a_link(blog: Any, url: str) -> None:
    app, client = blog
    stored(app, url=url, title=EVIL_TITLE)
    landed = client.get("/comments/thanks?article=12345")
    assert heading_and_back(landed) == (EVIL_TITLE, [])
    raw = landed.get_data(as_text=True)
    assert "<script>alert" not in raw and "&lt;script&gt;alert" in raw
    # The form page falls back to where the reader came from when that is an allowed page.
    refused = client.post("/comments", data=form(redirect_to=f"{BLOG}/elsewhere/"))
    assert heading_and_back(refused) == (EVIL_TITLE, [(f"{BLOG}/elsewhere/", "Back to the article")])
    refused = client.post("/comments", data=form(redirect_to="https://evil.example/"),
                          headers={"Referer": "https://evil.example/"})
    assert heading_and_back(refused) == (EVIL_TITLE, [])


def test_a_submitted_title_is_used_when_none_is_stored_and_is_escaped(blog: Any) -> None:
    app, client = blog
    stored(app, title=None, url=None)
    refused = client.post("/comments", data=form(article_title=EVIL_TITLE + "\u202e\x00"),
                          headers={"Referer": f"{BLOG}/from/"})
    assert heading_and_back(refused) == (EVIL_TITLE, [(f"{BLOG}/from/", "Back to the article")])
    assert "<script>alert" not in refused.get_data(as_text=True)


def test_without_a_known_article_the_pages_are_as_they_were(blog: Any) -> None:
    _, client = blog
    assert heading_and_back(client.get("/comments/thanks?article=unknown")) == ("Thank you for your comment", [])
    assert heading_and_back(client.get("/comments/thanks?article=%3Cx%3E")) == ("Thank you for your comment", [])
    refused = client.post("/comments", data=form(comment_post_ID="other"))
    assert heading_and_back(refused) == (None, [])
