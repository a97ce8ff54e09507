"""Tests for the public pages: the plain HTML form (POST /comments), its thank-you page,
embed.js and the demo site. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import html5lib
import pytest
from sqlalchemy import update

from moderation.core.antibot import issue_form_token, read_form_token
from moderation.core.forms import HONEYPOT
from moderation.core.policy import FormToken
from moderation.shared import of
from moderation.store.database import writing
from moderation.store.models import Article

from helpers import TEST_SECRET, approved, make_app, submit

DATA = Path(__file__).parent / "data"
EMBED_JS = Path(__file__).parent.parent / "moderation" / "static" / "embed.js"
BLOG = "https://blog.example"
NS = {"h": "http://www.w3.org/1999/xhtml"}


def form(**fields: str) -> dict[str, str]:
    """A valid plain-form submission, with fields overridden (None removes one)."""
    data = {"comment": "A comment from the plain form.", "author": "Ann Reader", "email": "ann@example.org",
            "url": "", "comment_post_ID": "12345", "comment_parent": "0", **fields}
    return {name: value for name, value in data.items() if value is not None}


def parse(response: Any) -> Any:
    """The response body as an html5lib element tree."""
    return html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=True)


def refilled(document: Any) -> dict[str, str]:
    """What the form on a page holds: each named input's value and the textarea's text."""
    values = {field.get("name"): field.get("value", "") for field in document.iterfind(".//h:input", NS)}
    textarea = document.find(".//h:textarea", NS)
    values["comment"] = textarea.text or "" if textarea is not None else None
    return values


def queue(client: Any, token: str, status: str = "pending") -> list[dict[str, Any]]:
    """The comments in one state (pending by default), through the token API."""
    return client.get(f"/api/v1/moderation/queue?status={status}",
                      headers={"Authorization": f"Bearer {token}"}).json["comments"]


def token_in(response: Any) -> str | None:
    """The form token a page's comment form carries."""
    field = parse(response).find(".//h:input[@name='form_token']", NS)
    return None if field is None else field.get("value")


def token_state(token: str | None, article_id: str) -> FormToken:
    """What the service would make of a form token sent for article_id now."""
    return read_form_token(TEST_SECRET, token, datetime.now(timezone.utc), article_id).state


@pytest.fixture
def allowed_client(database_url: str) -> Any:
    """A client of an app that allows https://blog.example."""
    app = make_app(database_url, ALLOWED_ORIGINS=BLOG)
    yield app.test_client()
    of(app).engine.dispose()


@pytest.mark.parametrize(("redirect_to", "referer", "location"), [
    (None, f"{BLOG}/2026/11/post/", f"{BLOG}/2026/11/post/?comment=pending#respond"),
    (None, f"{BLOG}/?p=12#comments", f"{BLOG}/?p=12&comment=pending#respond"),
    (f"{BLOG}/from-field/", f"{BLOG}/from-referer/", f"{BLOG}/from-field/?comment=pending#respond"),
    (None, "http://localhost/demo/paper-maps", "http://localhost/demo/paper-maps?comment=pending#respond"),
    (None, None, "/comments/thanks?article=12345&comment=pending#respond"),
    ("", f"{BLOG}/post/", "/comments/thanks?article=12345&comment=pending#respond"),
    ("//evil.example/", f"{BLOG}/post/", "/comments/thanks?article=12345&comment=pending#respond"),
    (None, "https://evil.example/post/", "/comments/thanks?article=12345&comment=pending#respond"),
    ("https://blog.example.evil.example/", None, "/comments/thanks?article=12345&comment=pending#respond"),
    ("https://blog.example@evil.example/", None, "/comments/thanks?article=12345&comment=pending#respond"),
    ("javascript:alert(1)//", None, "/comments/thanks?article=12345&comment=pending#respond"),
    ("https:\\\\evil.example", None, "/comments/thanks?article=12345&comment=pending#respond"),
])
def test_a_valid_form_is_stored_and_redirected_with_303(allowed_client, token, redirect_to, referer, location):
    headers = {"Referer": referer} if referer else {}
    response = allowed_client.post("/comments", data=form(redirect_to=redirect_to), headers=headers)
    assert response.status_code == 303
    assert response.headers["Location"] == location
    [pending] = queue(allowed_client, token)
    assert (pending["article_id"], pending["author"]["name"], pending["body"]) == ("12345", "Ann Reader",
                                                                        "A comment from the plain form.")


def test_the_thank_you_page(client):
    pending = client.get("/comments/thanks?comment=pending")
    assert pending.status_code == 200 and pending.mimetype == "text/html"
    assert "awaiting moderation" in pending.get_data(as_text=True)
    assert "awaiting moderation" not in client.get("/comments/thanks").get_data(as_text=True)


@pytest.mark.parametrize(("fields", "errors"), [
    ({"comment": "", "author": "", "email": ""},
     {"comment": "Please type your comment.", "author": "Please enter your name.",
      "email": "Please enter your email address."}),
    ({"email": "ann@"}, {"email": "Email is not a valid email address"}),
    ({"url": "javascript:alert(1)"}, {"url": "Website must be a web address starting with http:// or https://."}),
    ({"author": "A" * 101, "comment": "x" * 5001},
     {"author": "Name must be at most 100 characters (it has 101).",
      "comment": "Comment must be at most 5000 characters (it has 5001)."}),
    ({"author": "Ann\tReader"}, {"author": "Name must not contain control characters"}),
    ({"comment_parent": "abc", "email": "nope"},
     {"email": "Email is not a valid email address", "comment_parent": "The comment you replied to"}),
])
def test_invalid_input_gets_422_naming_every_error(client, fields, errors):
    response = client.post("/comments", data=form(**fields))
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    document = parse(response)
    summary = [item.text_content() if hasattr(item, "text_content") else "".join(item.itertext())
               for item in document.iterfind(".//h:div[@class='error-summary']//h:li", NS)]
    assert len(summary) == len(errors)
    for field, message in errors.items():
        assert any(message in line for line in summary), (message, summary)
        if field != "comment_parent":
            control = document.find(f".//*[@id='{field}']", NS)
            assert control.get("aria-invalid") == "true"
            assert f"{field}-error" in control.get("aria-describedby").split()
            assert message in "".join(document.find(f".//*[@id='{field}-error']", NS).itertext())
    first = next(field for field in ("comment", "author", "email", "url") if field in errors)
    assert [element.get("id") for element in document.iterfind(".//*[@autofocus]", NS)] == [first]


TRICKY = {
    "comment": '\nStarts with a newline </textarea><script>alert(1)</script> & "quotes" \'too\'\r\nand CRLF',
    "author": '"><img src=x onerror=alert(1)> Ann & Co',
    "email": 'ann"@example',
    "url": '" autofocus onfocus="alert(1)',
    "comment_parent": "0",
}


def test_the_422_form_gives_back_everything_exactly_and_escaped(client):
    response = client.post("/comments", data=form(**TRICKY), headers={"Referer": "http://localhost/demo/paper-maps"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    document = parse(response)
    assert not document.findall(".//h:script", NS) and not document.findall(".//h:img", NS)
    values = refilled(document)
    for name, typed in TRICKY.items():
        assert values[name] == typed.replace("\r\n", "\n"), name
    assert values["comment_post_ID"] == "12345"
    assert values["redirect_to"] == "http://localhost/demo/paper-maps"


def test_resending_the_422_form_returns_to_the_original_page(allowed_client, token):
    first = allowed_client.post("/comments", data=form(email="nope"), headers={"Referer": f"{BLOG}/post/"})
    values = refilled(parse(first))
    values.update(email="ann@example.org")
    again = allowed_client.post("/comments", data=values, headers={"Referer": "http://localhost/comments"})
    assert again.status_code == 303
    assert again.headers["Location"] == f"{BLOG}/post/?comment=pending#respond"


@pytest.mark.parametrize(("raw", "accepted"), [
    (None, True), ("", True), ("0", True), ("abc", False), ("-1", False), ("1.5", False),
    ("99999999999999999999", False), ("2147483648", False), ("PARENT", True), ("PENDING", False),
])
def test_comment_parent(client, token, raw, accepted):
    parent = approved(client, token, body="The parent.")
    pending = submit(client, body="Not approved yet.").json["id"]
    raw = {"PARENT": str(parent), "PENDING": str(pending)}.get(raw, raw)
    response = client.post("/comments", data=form(comment_parent=raw))
    assert response.status_code == (303 if accepted else 422), response.get_data(as_text=True)[-500:]
    if accepted:
        mine = [row for row in queue(client, token) if row["body"] == "A comment from the plain form."]
        assert mine[0]["parent_id"] == (parent if raw == str(parent) else None)
    else:
        assert "The comment you replied to" in response.get_data(as_text=True)


def _close(app: Any, article_id: str) -> None:
    with app.app_context(), writing() as db:
        db.execute(update(Article).where(Article.id == article_id).values(closed=True))


@pytest.mark.parametrize(("setup", "fields", "status", "message"), [
    ("duplicate", {}, 409, "You have already posted this comment here."),
    ("closed", {"comment": "My second thought."}, 403, "Comments are closed on this article"),
    (None, {"comment_post_ID": "not a valid id!"}, 400, "its article id is not valid"),
    (None, {"comment_post_ID": None}, 400, "its article id is not valid"),
])
def test_refusals_are_friendly_pages_that_keep_the_text(app, client, setup, fields, status, message):
    if setup:
        assert client.post("/comments", data=form()).status_code == 303
    if setup == "closed":
        _close(app, "12345")
    sent = form(**fields)
    response = client.post("/comments", data=sent)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert message in html and "Traceback" not in html
    assert refilled(parse(response))["comment"] == sent["comment"]


@pytest.mark.parametrize("order", [("api", "form"), ("form", "api"), ("form", "form")])
def test_the_form_and_the_api_share_one_rate_limit(database_url, order):
    app = make_app(database_url, RATELIMIT="1/minute")
    client = app.test_client()
    post = {"api": lambda body: submit(client, body=body),
            "form": lambda body: client.post("/comments", data=form(comment=body))}
    assert post[order[0]]("First comment.").status_code in (202, 303)
    refused = post[order[1]]("Second comment, kept.")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    if order[1] == "form":
        html = refused.get_data(as_text=True)
        assert refused.mimetype == "text/html" and re.search(r"Please wait \d+ seconds?", html)
        assert refilled(parse(refused))["comment"] == "Second comment, kept."
    else:
        assert refused.json["error"] == "rate_limited"
    of(app).engine.dispose()


def test_the_wordpress_comment_form_works_unchanged_but_for_its_action(allowed_client, token):
    markup = (DATA / "wordpress_comment_form.html").read_text(encoding="utf-8")
    markup = markup.replace('action="https://blog.example/wp-comments-post.php"', 'action="/comments"')
    document = html5lib.parse(markup, namespaceHTMLElements=True)
    wp_form = document.find(".//h:form[@id='commentform']", NS)
    assert wp_form.get("action") == "/comments" and wp_form.get("method") == "post"
    fields = {field.get("name"): field.get("value", "") for field in wp_form.iterfind(".//h:input", NS)
              if field.get("type") != "checkbox"}
    assert set(fields) >= {"author", "email", "url", "comment_post_ID", "comment_parent", "submit"}
    fields.update(author="Ann Reader", email="ann@example.org", url="ann.example",
                  comment="Hello from a WordPress theme.", **{"wp-comment-cookies-consent": "yes"})
    response = allowed_client.post(wp_form.get("action"), data=fields,
                                   headers={"Referer": f"{BLOG}/2026/11/27/hello-world/"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{BLOG}/2026/11/27/hello-world/?comment=pending#respond"
    [stored] = queue(allowed_client, token)
    assert (stored["article_id"], stored["parent_id"], stored["author"]["website"]) == ("1", None, "http://ann.example")


def test_embed_js_is_javascript_cached_and_revalidated(client):
    with client.get("/embed.js") as response:
        assert response.status_code == 200
        assert response.get_data() == EMBED_JS.read_bytes()
        assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert response.headers["Cache-Control"] == "public, max-age=3600"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    with client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]}) as again:
        assert again.status_code == 304


# The embed's size, its build and what it may insert as HTML: test_embed_assets.py.


def test_the_demo_listing_has_count_links_and_the_embed(client):
    response = client.get("/demo/")
    assert response.status_code == 200
    document = parse(response)
    counts = [link.get("data-comments-count") for link in document.iterfind(".//*[@data-comments-count]", NS)]
    assert counts == ["demo-read-before-published", "demo-paper-maps", "demo-garden-notebook"]
    assert [script.get("src") for script in document.iterfind(".//h:script", NS)] == ["/embed.js"]


@pytest.mark.parametrize("slug", ["read-before-published", "paper-maps", "garden-notebook"])
def test_a_demo_article_embeds_the_comments_with_a_plain_form_inside(client, slug):
    document = parse(client.get(f"/demo/{slug}"))
    [script] = document.findall(".//h:script", NS)
    assert (script.get("src"), script.get("data-article")) == ("/embed.js", f"demo-{slug}")
    assert script.get("async") is not None
    fallback = document.find(".//h:div[@id='comments']//h:form", NS)
    assert fallback.get("action") == "/comments"
    assert refilled(document)["comment_post_ID"] == f"demo-{slug}"
    assert "lorem" not in client.get(f"/demo/{slug}").get_data(as_text=True).lower()


def test_the_demo_form_works_without_javascript(client, token):
    page = "http://localhost/demo/paper-maps"
    response = client.post("/comments", data=form(comment_post_ID="demo-paper-maps"), headers={"Referer": page})
    assert response.status_code == 303
    back = urlsplit(response.headers["Location"])
    assert (back.path, back.query, back.fragment) == ("/demo/paper-maps", "comment=pending", "respond")
    assert "awaiting moderation" in client.get(f"{back.path}?{back.query}").get_data(as_text=True)
    assert queue(client, token)[0]["article_id"] == "demo-paper-maps"


def test_an_unknown_demo_article_is_404(client):
    assert client.get("/demo/no-such-post").status_code == 404


def test_the_front_page_says_where_to_go(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for link in ('href="/demo/"', 'href="/moderate/"', 'href="/api/v1/openapi.json"'):
        assert link in html


def test_a_refused_form_page_says_how_long_to_wait_from_retry_after(database_url):
    app = make_app(database_url, RATELIMIT="1/minute", FLOOD_SECONDS=0)
    client = app.test_client()
    assert client.post("/comments", data=form(comment="First.")).status_code == 303
    refused = client.post("/comments", data=form(comment="Second, kept."))
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    wait = int(refused.headers["Retry-After"])
    notice = "".join(parse(refused).find(".//h:p[@class='notice']", NS).itertext())
    assert f"Please wait {wait} second{'s' if wait != 1 else ''}, then send yours again." in notice
    assert refilled(parse(refused))["comment"] == "Second, kept."


# --- The honeypot: people never fill it; a bot that fills every field is kept as spam ---

def honeypot_of(document: Any) -> tuple[Any, Any, Any]:
    """The honeypot's wrapper, label and input in a page's comment form."""
    [wrapper] = [p for p in document.iterfind(".//h:form//h:p", NS) if p.find(f"h:input[@name='{HONEYPOT}']", NS)
                 is not None]
    return wrapper, wrapper.find("h:label", NS), wrapper.find("h:input", NS)


@pytest.mark.parametrize("page", ["demo article", "422 page"])
def test_the_service_forms_carry_a_honeypot_people_cannot_see_or_reach(client, page):
    response = (client.get("/demo/paper-maps") if page == "demo article"
                else client.post("/comments", data=form(email="nope", **{HONEYPOT: "typed by a bot"})))
    wrapper, label, field = honeypot_of(parse(response))
    assert wrapper.get("aria-hidden") == "true" and wrapper.get("class") == "comment-form-hp"
    assert (field.get("tabindex"), field.get("autocomplete"), field.get("value")) == ("-1", "off", "")
    assert label.get("for") == field.get("id") == HONEYPOT and "leave this field empty" in label.text.lower()
    with client.get("/static/pages.css") as stylesheet:
        css = stylesheet.get_data(as_text=True)
    rule = re.search(r"\.comment-form-hp \{([^}]*)\}", css).group(1)
    assert "position: absolute" in rule and "left: -10000px" in rule and "display" not in rule


def test_a_bot_filling_the_form_honeypot_gets_a_person_s_answer_and_is_kept_as_spam(allowed_client, token):
    person = allowed_client.post("/comments", data=form(comment="A person.", redirect_to=f"{BLOG}/post/"))
    every_field = form(comment="Buy now.", redirect_to=f"{BLOG}/post/", url="https://pills.example",
                       **{HONEYPOT: "https://pills.example"})
    bot = allowed_client.post("/comments", data=every_field)
    assert bot.status_code == person.status_code == 303
    assert bot.headers["Location"] == person.headers["Location"] == f"{BLOG}/post/?comment=pending#respond"
    assert [c["body"] for c in queue(allowed_client, token)] == ["A person."]
    [spam] = queue(allowed_client, token, "spam")
    assert (spam["body"], spam["reason"]) == ("Buy now.", "spam: honeypot field filled")


def test_a_bot_filling_the_api_honeypot_gets_a_person_s_answer_and_is_kept_as_spam(client, token):
    person, bot = submit(client, body="A person."), submit(client, body="Buy now.", hp="https://pills.example")
    assert bot.status_code == person.status_code == 202
    assert set(bot.json) == set(person.json) and (bot.json["status"], bot.json["message"]) == (
        person.json["status"], person.json["message"])
    [spam] = queue(client, token, "spam")
    assert (spam["body"], spam["reason"]) == ("Buy now.", "spam: honeypot field filled")


# --- Form tokens: each showing of a form carries a one-use token for its own article ---

@pytest.mark.parametrize("slug", ["paper-maps", "garden-notebook"])
def test_a_demo_article_s_form_carries_a_token_for_that_article_and_is_never_cached(client, slug):
    response = client.get(f"/demo/{slug}")
    token = token_in(response)
    assert token_state(token, f"demo-{slug}") == FormToken.VALID
    assert token_state(token, "demo-read-before-published") == FormToken.INVALID
    assert token != token_in(client.get(f"/demo/{slug}"))  # one per showing
    assert response.headers["Cache-Control"] == "no-store"  # a cache would hand one token to many readers


def test_the_demo_form_s_token_publishes_once(database_url):
    app = make_app(database_url, PREMODERATION="none")
    client = app.test_client()
    sent = form(comment_post_ID="demo-paper-maps", form_token=token_in(client.get("/demo/paper-maps")))
    first = client.post("/comments", data=sent, headers={"Referer": "http://localhost/demo/paper-maps"})
    assert first.status_code == 303 and re.search(r"#comment-\d+$", first.headers["Location"])  # published
    again = client.post("/comments", data={**sent, "comment": "A second comment, same token."})
    assert again.status_code == 303 and again.headers["Location"].endswith("comment=pending#respond")  # held


@pytest.mark.parametrize("sent", ["own", "none", "other article", "forged"])
def test_the_form_shown_again_keeps_the_reader_s_good_token_or_gives_a_fresh_one(client, sent):
    own = issue_form_token(TEST_SECRET, datetime.now(timezone.utc), "12345")
    tokens = {"own": own, "none": None, "forged": own[:-2] + "xx",
              "other article": issue_form_token(TEST_SECRET, datetime.now(timezone.utc), "other")}
    response = client.post("/comments", data=form(email="nope", form_token=tokens[sent]))
    assert response.status_code == 422
    shown = token_in(response)
    assert token_state(shown, "12345") == FormToken.VALID
    assert (shown == own) == (sent == "own")  # the time the reader spent on the form still counts
    assert response.headers["Cache-Control"] == "no-store"


def test_a_refused_form_for_a_bad_article_id_carries_no_token(client):
    response = client.post("/comments", data=form(comment_post_ID="not a valid id!"))
    assert response.status_code == 400 and token_in(response) is None
