"""Readers without JavaScript, in Chromium: the HTML fragment a site includes server-side,
and the service's own no-JS pages (the form's error page, the thank-you page) — what they
show with JavaScript off, and axe-core's verdict on them (zero violations), light and dark,
in English and in Arabic (right to left)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote
from urllib.request import urlopen

import pytest

from moderation.shared import now
from moderation.store import articles

from helpers import DESKTOP, PHONE, add_moderator, approved, axe_violations, open_page

ARTICLE = "nojs-article"
TITLE = "A post read without JavaScript"


@pytest.fixture
def service(live_server_factory: Any, host_site: Any) -> Any:
    """The service with a short threaded conversation on the article. The host site is not an allowed
    origin (it needs none: it includes the fragment server-side), so the form ends on the thank-you page."""
    server = live_server_factory()
    client, token = server.app.test_client(), add_moderator(server.app)
    first = approved(client, token, ARTICLE, name="Maren Holt", website="https://maren.example",
                     body="Readable <em>without</em> any script.")
    approved(client, token, ARTICLE, name="Theo Brandt", email="theo@example.org", body="Agreed.", parent_id=first)
    approved(client, token, ARTICLE, name="<b>Not bold</b>", email="x@example.org", body="Names stay text.")
    with server.app.app_context():  # as a moderator sets them on the Articles page
        articles.set_details(ARTICLE, TITLE, host_site.url + "/post.html", now())
    return server


def site_page(host_site: Any, service: Any, lang: str = "en") -> str:
    """A post whose server includes the fragment (no embed script) and a plain comment form after it."""
    with urlopen(f"{service.url}/articles/{ARTICLE}/comments.html?lang={lang}", timeout=10) as answer:
        fragment = answer.read().decode()  # as a site's server fetches it: avatars from the service's address
    host_site.pages["/post.html"] = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
      <meta name="viewport" content="width=device-width, initial-scale=1"><title>{TITLE}</title></head>
      <body><main><h1>{TITLE}</h1><p>The post's own text.</p><div id="comments">{fragment}</div>
      <form action="{service.url}/comments" method="post" aria-label="Leave a Reply">
        <input type="hidden" name="comment_post_ID" value="{ARTICLE}"><input type="hidden" name="lang" value="{lang}">
        <p><label for="comment">Comment</label><textarea id="comment" name="comment"></textarea></p>
        <p><label for="author">Name</label><input id="author" name="author"></p>
        <p><label for="email">Email</label><input id="email" name="email"></p>
        <p><button id="submit">Post Comment</button></p></form></main></body></html>"""
    return host_site.url + "/post.html"


def no_violations(page: Any) -> None:
    """axe-core finds nothing wrong with the page as it is."""
    found = axe_violations(page)
    assert not found, [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]


def test_the_fragment_reads_without_javascript(browser, host_site, service, artifacts) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = open_page(browser, PHONE, javascript=False)
    page.goto(site_page(host_site, service))
    assert page.text_content("#comments h2") == "3 Comments"
    names = page.locator("#comments .fn").all_text_contents()
    assert names == ["Maren Holt", "Theo Brandt", "<b>Not bold</b>"]
    assert page.is_visible("#comments li.comment li.comment")  # the reply, inside its parent
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=os.path.join(artifacts, "fragment-phone-nojs.png"), full_page=True)
    assert not problems
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_js_pages_have_no_accessibility_violations(browser, host_site, service, scheme, lang) -> None:  # type: ignore[no-untyped-def]
    # axe is a script: these pages have none of their own, so running it changes nothing they show.
    context, page, _ = open_page(browser, DESKTOP, bypass_csp=True)
    page.emulate_media(color_scheme=scheme)
    page.goto(site_page(host_site, service, lang))
    no_violations(page)  # the site's page with the fragment in it

    page.fill("#comment", "Sent without a script.")
    page.fill("#author", "Ann Reader")
    page.click("#submit")  # no email: the service's 422 page, errors shown and everything kept
    page.wait_for_selector(".error-summary")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == \
        [lang, "rtl" if lang == "ar" else "ltr"]
    assert page.text_content("h1").strip() == TITLE  # the article's title, a link back to it
    assert page.get_attribute(".back a", "href") == host_site.url + "/post.html"
    no_violations(page)

    page.fill("#email", "ann@example.org")
    page.click("button[type=submit], #submit")
    page.wait_for_url("**/comments/thanks**")  # the form came from a page the service does not redirect to
    assert page.text_content("h1").strip() == TITLE
    no_violations(page)
    context.close()


def test_the_fragment_of_another_language_says_so(browser, host_site, service) -> None:  # type: ignore[no-untyped-def]
    context, page, _ = open_page(browser, DESKTOP, javascript=False)
    page.goto(site_page(host_site, service, "ar"))
    assert page.get_attribute("#comments .comments-static", "dir") == "rtl"
    assert page.get_attribute("#comments .comments-static", "lang") == "ar"
    context.close()


def test_the_fragment_links_to_its_next_page(browser, host_site, live_server_factory) -> None:  # type: ignore[no-untyped-def]
    server = live_server_factory(ALLOWED_ORIGINS=host_site.url)
    client, token = server.app.test_client(), add_moderator(server.app)
    for n in range(3):
        approved(client, token, ARTICLE, body=f"Comment {n}.")
    context, page, _ = open_page(browser, DESKTOP, javascript=False)
    page.goto(f"{server.url}/articles/{quote(ARTICLE)}/comments.html?limit=2")
    assert page.locator("li.comment").count() == 2
    page.click("a[rel=next]")
    assert page.locator("li.comment").all_text_contents()[0].strip().endswith("Comment 2.")
    context.close()
