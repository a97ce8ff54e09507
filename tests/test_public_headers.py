"""The public HTML pages share an origin with /moderate/: each carries a strict CSP, cannot be
framed and runs no inline script or style; embed.js, avatars, the health check and JSON do not
get a page's policy. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import html5lib
import pytest

from moderation.web.moderate.chrome import PRIVATE_HEADERS
from moderation.web.pages import form_page_csp

from helpers import make_app

NS = {"h": "http://www.w3.org/1999/xhtml"}
EVERY_PAGE = {"default-src": "'none'", "style-src": "'self'", "form-action": "'self'",
              "frame-ancestors": "'none'", "base-uri": "'none'"}
# The demo pages run embed.js, which calls the API (counts, comments) and shows avatars: all on this origin.
LISTING = {**EVERY_PAGE, "script-src": "'self'", "connect-src": "'self'"}
ARTICLE = {**LISTING, "img-src": "'self'"}
FORM = {"comment": "A comment.", "author": "Ann Reader", "email": "ann@example.org", "comment_post_ID": "12345"}


def policy_of(header: str) -> dict[str, str]:
    """A Content-Security-Policy as {directive: sources}."""
    return {name: sources for name, sources in (part.strip().split(None, 1) for part in header.split(";"))}


def policy(response: Any) -> dict[str, str]:
    """The response's Content-Security-Policy as {directive: sources}."""
    return policy_of(response.headers["Content-Security-Policy"])


def rate_limited(client: Any) -> Any:
    client.application.config.update(RATELIMIT="1/minute", FLOOD_SECONDS=0)
    client.post("/comments", data={**FORM, "comment": "First."})
    return client.post("/comments", data=FORM)


# name -> (how to get the page, its status, the policy it must carry)
PAGES = {
    "front page": (lambda c: c.get("/"), 200, EVERY_PAGE),
    "demo listing": (lambda c: c.get("/demo/"), 200, LISTING),
    "demo article": (lambda c: c.get("/demo/paper-maps"), 200, ARTICLE),
    "thank-you page": (lambda c: c.get("/comments/thanks?comment=pending"), 200, EVERY_PAGE),
    "form: 422": (lambda c: c.post("/comments", data={**FORM, "email": "nope"}), 422, EVERY_PAGE),
    "form: 400 bad article": (lambda c: c.post("/comments", data={**FORM, "comment_post_ID": "no!"}), 400, EVERY_PAGE),
    "form: 409 duplicate": (lambda c: c.post("/comments", data=FORM) and c.post("/comments", data=FORM), 409,
                            EVERY_PAGE),
    "form: 429": (rate_limited, 429, EVERY_PAGE),
    "form: 303": (lambda c: c.post("/comments", data=FORM), 303, EVERY_PAGE),
    "error page: unknown demo": (lambda c: c.get("/demo/no-such-post"), 404, EVERY_PAGE),
    "error page: GET /comments": (lambda c: c.get("/comments"), 405, EVERY_PAGE),
    "error page: no such path": (lambda c: c.get("/no/such/page"), 404, EVERY_PAGE),
    "error page: under /moderate/": (lambda c: c.get("/moderate/no/such/page"), 404, EVERY_PAGE),
}


@pytest.mark.parametrize("name", PAGES)
def test_every_public_html_page_has_a_strict_policy_and_cannot_be_framed(client, name):
    get, status, expected = PAGES[name]
    response = get(client)
    assert (response.status_code, response.mimetype) == (status, "text/html")
    assert policy(response) == expected
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"  # the form returns by its same-origin Referer


@pytest.mark.parametrize("name", [name for name, (_, status, _) in PAGES.items() if status != 303])
def test_no_page_has_inline_script_or_style(client, name):
    document = html5lib.parse(PAGES[name][0](client).get_data(as_text=True), namespaceHTMLElements=True)
    assert not [script for script in document.iterfind(".//h:script", NS) if not script.get("src")]
    assert not document.findall(".//h:style", NS)
    inline = [(element.tag, attribute) for element in document.iter() for attribute in element.attrib
              if attribute == "style" or attribute.startswith("on")]
    assert not inline
    for link in document.iterfind(".//h:link[@rel='stylesheet']", NS):
        assert link.get("href").startswith("/static/")  # style-src 'self'


def test_the_stylesheet_is_served_to_the_pages(client):
    with client.get("/static/pages.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"
        assert "Content-Security-Policy" not in response.headers


@pytest.mark.parametrize(("path", "own_policy"), [
    ("/embed.js", None),
    ("/avatars/" + "0" * 16 + ".svg", "default-src 'none'; style-src 'unsafe-inline'"),
    ("/healthz", None),
    ("/api/v1/articles/12345/comments", None),
    ("/api/v1/form-token?article=12345", None),
    ("/api/v1/articles/not%20valid/comments", None),  # a JSON error
    ("/api/v1/no-such-route", None),
    ("/api/v1/articles/12345/comments?limit=050 (304)", None),  # a 304 from Flask, not the shortcut
])
def test_scripts_pictures_and_json_keep_their_own_headers(client, path, own_policy):
    path, revalidate = path.removesuffix(" (304)"), path.endswith("(304)")
    headers = {"If-None-Match": client.get(path).headers["ETag"]} if revalidate else {}
    with client.get(path, headers=headers) as response:
        assert response.status_code == (304 if revalidate else response.status_code)
        assert response.status_code < 500
        assert response.headers.get("Content-Security-Policy") == own_policy
        assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", ["/moderate/login", "/moderate/"])
def test_moderator_pages_keep_their_own_policy(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == PRIVATE_HEADERS["Content-Security-Policy"]



@pytest.mark.parametrize(("allowed", "form_action"), [
    ((), "'self'"),
    (("https://blog.example",), "'self' https://blog.example"),
    (("https://b.example", "http://a.example:8080", "https://b.example:443"),
     "'self' http://a.example:8080 https://b.example"),
    (("https://[2001:db8::1]:8443",), "'self' https://[2001:db8::1]:8443"),
    (("https://evil.example;script-src", "https://evil.example,x"), "'self'"),  # nothing that could end it
])
def test_the_form_page_may_send_the_reader_back_only_to_an_allowed_origin(allowed, form_action):
    assert policy_of(form_page_csp(allowed))["form-action"] == form_action


def test_a_form_page_names_the_allowed_origins_in_form_action(database_url):
    # Browsers check form-action on the 303 too: with 'self' alone, resending the form from its
    # error page could never take the reader back to their blog.
    client = make_app(database_url, ALLOWED_ORIGINS="https://blog.example").test_client()
    response = client.post("/comments", data={**FORM, "email": "nope"})
    assert policy(response) == {**EVERY_PAGE, "form-action": "'self' https://blog.example"}
