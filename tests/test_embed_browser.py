"""embed.js in real headless Chromium, on an article page served from another origin.

A tiny static server on its own port plays the site owner's blog; the service runs
on a second port with that blog as its only allowed origin. Nothing is mocked: the
browser, both servers and the database are real. Kept few: each test is a journey.
Any Content-Security-Policy violation a page reports on its console fails the test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from moderation.store.database import session
from moderation.store.models import Article

from helpers import HostSite, add_moderator, approved, moderate, submit

pytestmark = pytest.mark.browser

DATA = Path(__file__).parent / "data"
ARTICLE = "test-article"
HOST_CSS = ("body{font:20px/2 serif;text-align:justify;letter-spacing:3px;color:rgb(0, 100, 0)}"
            "input,textarea,button{display:none!important}p{color:rgb(200, 0, 0)}")


class StaticSite(HostSite):
    """The site owner's blog (helpers.HostSite), with the post this module's tests read: the two
    lines from API.md under a page whose own styles must neither break the embed nor be changed."""

    def article(self, service: str, article_id: str = ARTICLE) -> str:
        """Publish a blog post with the two lines from API.md; return its URL."""
        self.pages["/post.html"] = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
            <title>A post on the blog</title><style>{HOST_CSS}</style></head><body>
            <h1>A post on the blog</h1><p class="host">The host page's own paragraph.</p>
            <div id="comments"></div>
            <script src="{service}/embed.js" data-article="{article_id}" async></script></body></html>"""
        return self.url + "/post.html"


@pytest.fixture
def blog() -> Iterator[StaticSite]:
    """The site owner's blog, on its own origin."""
    site = StaticSite()
    yield site
    site.stop()


def token_for(server: Any) -> str:
    """A moderator token for a live server."""
    return add_moderator(server.app)


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """open_page(url, console=None, **context options) -> a page; fails the test on any script
    error or CSP violation. A `console` list collects every (type, text) the page logs."""
    contexts, errors = [], []

    def open_(url: str, console: list[tuple[str, str]] | None = None, **options: Any) -> Any:
        contexts.append(browser.new_context(**options))
        page = contexts[-1].new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text)
                if "Content Security Policy" in message.text else None)
        if console is not None:
            page.on("console", lambda message: console.append((message.type, message.text)))
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, errors


def fill(page: Any, comment: str, name: str = "Ann Reader", email: str = "ann@example.org", url: str = "",
         scope: str = "#comments") -> None:
    """Type into the embed's form (Playwright's CSS pierces the open shadow root)."""
    page.fill(f"{scope} #comment", comment)
    page.fill(f"{scope} #author", name)
    page.fill(f"{scope} #email", email)
    page.fill(f"{scope} #url", url)


def focused_id(page: Any) -> str | None:
    """The id of the element focused inside the embed's shadow root."""
    return page.evaluate("document.getElementById('comments').shadowRoot.activeElement?.id")


def test_comment_approve_reply_thread_and_counts(blog, live_server_factory, open_page):
    service = live_server_factory(ALLOWED_ORIGINS=blog.url)
    client, token = service.app.test_client(), token_for(service)
    page = open_page(blog.article(service.url))
    # The host page's styles neither break the embed nor are changed by it.
    assert page.is_visible("#comments #comment") and page.is_visible("#comments .submit")
    assert page.eval_on_selector("p.host", "p => getComputedStyle(p).color") == "rgb(200, 0, 0)"
    assert page.eval_on_selector("#comments .notes", "p => getComputedStyle(p).color") != "rgb(200, 0, 0)"

    name = '<img src=x onerror="window.pwned=1"> Ann'
    fill(page, "First line & <b>bold</b>\n\nSecond paragraph.", name=name, url="ann.example")
    page.click("#comments .submit")
    page.wait_for_selector("#comments li.pending .await")
    assert page.text_content("#comments li.pending .await") == "Your comment is awaiting moderation."
    assert page.text_content("#comments li.pending .fn") == name
    assert page.input_value("#comments #comment") == ""
    assert page.evaluate("document.getElementById('comments').shadowRoot.activeElement"
                         ".matches('li.pending > article')")  # focus moved to the new comment

    [pending] = client.get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}).json["comments"]
    assert pending["article_id"] == ARTICLE and pending["parent_id"] is None
    assert moderate(client, token, pending["id"], "approve").status_code == 200
    page.reload()
    first = f"#comments #comment-{pending['id']}"
    page.wait_for_selector(f"{first}:not(.pending)")
    assert page.text_content(f"{first} .fn") == name
    link = page.eval_on_selector(f"{first} a.fn", "a => [a.href, a.rel]")
    assert link == ["http://ann.example/", "nofollow ugc"]
    assert page.inner_text(f"{first} .content b") == "bold"  # the sanitized html, as HTML
    assert page.get_attribute(f"{first} time", "datetime").endswith("Z")
    assert page.evaluate("window.pwned") is None and not page.query_selector("#comments .meta img[src='x']")

    page.focus(f"{first} .reply")  # keyboard only from here: Enter on Reply, type, Enter on the button
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{first} #respond")  # once embed-write.js is in (fetched on the first focus)
    assert focused_id(page) == "comment"
    assert page.text_content("#comments #reply-title-text") == f"Reply to {name}"
    page.keyboard.type("A reply, typed.")
    page.fill("#comments #author", "Bo")
    page.fill("#comments #email", "bo@example.org")
    page.focus("#comments .submit")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{first} > ol.children > li.pending")
    assert page.query_selector(f"{first} #respond") is None  # the form went back under the list

    reply = client.get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}).json["comments"]
    assert reply[0]["parent_id"] == pending["id"]
    moderate(client, token, reply[0]["id"], "approve")
    page.reload()
    page.wait_for_selector(f"{first} > ol.children > #comment-{reply[0]['id']}.depth-2:not(.pending)")

    blog.pages["/list.html"] = f"""<!doctype html><title>Blog</title>
        <a id="one" data-comments-count="{ARTICLE}">Comments</a> <a id="two" data-comments-count="other">Comments</a>
        <a id="again" data-comments-count="{ARTICLE}">Comments</a>
        <script src="{service.url}/embed.js" async></script>"""
    page.goto(blog.url + "/list.html")
    page.wait_for_function("document.getElementById('two').textContent !== 'Comments'")
    assert [page.text_content(f"#{id_}") for id_ in ("one", "two", "again")] == [
        "2 Comments", "Click to comment", "2 Comments"]


def test_errors_are_shown_by_their_fields_and_nothing_typed_is_lost(blog, live_server_factory, open_page):
    service = live_server_factory(ALLOWED_ORIGINS=blog.url, RATELIMIT="1/minute", FLOOD_SECONDS=0)
    page = open_page(blog.article(service.url))
    page.click("#comments .submit")  # empty: the form's own checks (in embed-write.js, fetched on the first focus)
    page.wait_for_selector("#comments #comment[aria-invalid=true]")
    for field in ("comment", "author", "email"):
        assert page.get_attribute(f"#comments #{field}", "aria-invalid") == "true"
        assert f"{field}-error" in page.get_attribute(f"#comments #{field}", "aria-describedby")
    assert page.get_attribute("#comments #email", "aria-describedby") == "email-notes email-error"
    assert focused_id(page) == "comment"

    text = "Kept, whatever happens.\nSecond line."
    fill(page, text, email="ann..dots@example.org", url="https://ann.example")
    page.click("#comments .submit")  # 1: the server's 422 is the truth
    page.wait_for_selector("#comments #email-error:not([hidden])")
    assert page.text_content("#comments #email-error").startswith("Email is not a valid email address")
    assert page.get_attribute("#comments #comment", "aria-invalid") == "false"
    assert focused_id(page) == "email"
    assert page.input_value("#comments #comment") == text

    page.fill("#comments #email", "ann@example.org")
    page.click("#comments .submit")  # 2: accepted
    page.wait_for_selector("#comments li.pending")
    # 3: a duplicate (refused before it counts against the limit), 4: another comment, over the limit
    for typed, expected in ((text, "already posted this comment"), (text + " Another thought.", "Please wait")):
        page.fill("#comments #comment", typed)
        page.click("#comments .submit")
        page.wait_for_function(f"document.getElementById('comments').shadowRoot"
                               f".getElementById('form-alert').textContent.includes('{expected}')")
        assert page.input_value("#comments #comment") == typed, expected
    assert "seconds" in page.text_content("#comments #form-alert")

    service.stop()  # the network fails
    page.fill("#comments #comment", text + " And more.")
    page.click("#comments .submit")
    page.wait_for_function("document.getElementById('comments').shadowRoot"
                           ".getElementById('form-alert').textContent.includes('could not be reached')")
    assert page.input_value("#comments #comment") == text + " And more."
    assert page.input_value("#comments #author") == "Ann Reader"


def test_the_consent_box_keeps_and_forgets_name_email_and_website(blog, live_server_factory, open_page):
    service = live_server_factory(ALLOWED_ORIGINS=blog.url)
    page = open_page(blog.article(service.url))
    stored = "() => localStorage.getItem('comments:commenter')"

    fill(page, "Not remembered.", name="Ann", email="ann@example.org")
    page.click("#comments .submit")
    page.wait_for_selector("#comments li.pending")
    assert page.evaluate(stored) is None
    page.reload()
    assert page.input_value("#comments #author") == "" and not page.is_checked("#comments #wp-comment-cookies-consent")

    fill(page, "Remembered.", name="Ann", email="ann@example.org", url="ann.example")
    page.check("#comments #wp-comment-cookies-consent")
    page.click("#comments .submit")
    page.wait_for_selector("#comments li.pending >> nth=1")
    page.reload()
    page.wait_for_selector("#comments #author")
    assert [page.input_value(f"#comments #{name}") for name in ("author", "email", "url")] == [
        "Ann", "ann@example.org", "ann.example"]
    assert page.is_checked("#comments #wp-comment-cookies-consent")

    page.uncheck("#comments #wp-comment-cookies-consent")  # forgotten at once, not at the next comment
    assert page.evaluate(stored) is None
    page.reload()
    assert page.input_value("#comments #email") == ""


def test_the_plain_form_works_with_javascript_off(blog, live_server_factory, open_page):
    service = live_server_factory(ALLOWED_ORIGINS=blog.url)
    client, token = service.app.test_client(), token_for(service)
    markup = (DATA / "wordpress_comment_form.html").read_text(encoding="utf-8")
    markup = markup.replace("https://blog.example/wp-comments-post.php", f"{service.url}/comments")
    page_of = "<!doctype html><html lang='en'><meta charset='utf-8'><title>A WordPress post</title>{}".format
    blog.pages["/2026/wp.html"] = page_of(markup)
    permalink = '<input type="hidden" name="redirect_to" value="{}/2026/with-redirect.html">'.format(blog.url)
    blog.pages["/2026/with-redirect.html"] = page_of(markup.replace("</form>", permalink + "</form>"))
    page = open_page(blog.url + "/2026/wp.html", java_script_enabled=False)

    page.fill("#comment", "Sent without JavaScript.\n\nTwo paragraphs.")
    page.fill("#author", "Ann Reader")
    page.fill("#email", "ann@")
    page.click("#submit")  # the service's 422 page, everything kept
    assert page.url == f"{service.url}/comments"
    assert "Email is not a valid email address" in page.text_content(".error-summary")
    assert page.input_value("#comment") == "Sent without JavaScript.\n\nTwo paragraphs."
    assert page.input_value("#author") == "Ann Reader"
    # Chromium applies autofocus after the page has loaded: wait for it (seconds on a loaded machine).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'email'", timeout=15_000)

    page.fill("#email", "ann@example.org")
    page.click("#submit")
    # Browsers send only the origin as Referer on a cross-origin POST (the default
    # strict-origin-when-cross-origin policy), so an unchanged theme form returns the
    # reader to the site's front page; a redirect_to field brings them back to the post.
    assert page.url == f"{blog.url}/?comment=pending#respond"
    page.goto(blog.url + "/2026/with-redirect.html")
    page.fill("#comment", "Second, with redirect_to.")
    page.fill("#author", "Ann Reader")
    page.fill("#email", "ann@example.org")
    page.click("#submit")
    assert page.url == f"{blog.url}/2026/with-redirect.html?comment=pending#respond"

    stored = client.get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}).json["comments"]
    assert [(row["article_id"], row["body"]) for row in stored] == [
        ("1", "Sent without JavaScript.\n\nTwo paragraphs."), ("1", "Second, with redirect_to.")]


def test_an_origin_that_is_not_allowed_is_refused_by_cors(blog, live_server_factory, open_page):
    service = live_server_factory(ALLOWED_ORIGINS=blog.url)
    client = service.app.test_client()
    approved(client, token_for(service), ARTICLE, body="Public, but not for every site.")
    other = StaticSite()
    try:
        page = open_page(other.article(service.url))
        page.wait_for_function("document.getElementById('comments').shadowRoot"
                               ".querySelector('.status').textContent.includes('could not be loaded')")
        fill(page, "Posted from a site that is not allowed.")
        page.click("#comments .submit")
        page.wait_for_function("document.getElementById('comments').shadowRoot"
                               ".getElementById('form-alert').textContent.includes('could not be reached')")
        fetches = page.evaluate("""async (base) => {
            const url = base + '/api/v1/articles/test-article/comments', outcome = r => r.status;
            return Promise.all([fetch(url).then(outcome, e => e.name),
                                fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                            body: '{}'}).then(outcome, e => e.name)]);
        }""", service.url)
        assert fetches == ["TypeError", "TypeError"]
        assert submit(client, body="Probe.").status_code == 202  # the service is up; CORS said no
        queue = client.get(f"/api/v1/articles/{ARTICLE}/comments").json
        assert queue["count"] == 1  # nothing from the other site reached the store
        allowed = open_page(blog.article(service.url))
        allowed.wait_for_selector("#comments li.comment")
    finally:
        other.stop()


VIEWS = {"desktop": {"viewport": {"width": 1280, "height": 900}},
         "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                   "has_touch": True}}

CONTRAST = """root => {
    const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const shadow = root.shadowRoot, page = getComputedStyle(root).backgroundColor;
    const checks = {};
    for (const selector of ['label', '.notes', 'time', '.fn', '.content p', '.reply', '.req', 'h2', 'a.fn']) {
        const el = shadow.querySelector(selector);
        if (el) checks[selector] = ratio(getComputedStyle(el).color, page);
    }
    const button = getComputedStyle(shadow.querySelector('.submit'));
    checks['.submit'] = ratio(button.color, button.backgroundColor);
    checks['input border'] = ratio(getComputedStyle(shadow.querySelector('#author')).borderTopColor, page);
    return {background: page, checks};
}"""


def test_demo_article_screenshots_light_and_dark_desktop_and_phone(live_server, open_page, artifacts):
    # The conversation `make run` seeds, so that the README's screenshot is what a newcomer sees.
    seeded = live_server.app.test_cli_runner().invoke(args=["seed-demo"])
    assert "Seeded the demo blog with 10 approved comments." in seeded.output, seeded.output
    for view, options in VIEWS.items():
        for scheme in ("light", "dark"):
            page = open_page(f"{live_server.url}/demo/read-before-published", color_scheme=scheme, **options)
            page.wait_for_selector("#comments li.comment >> nth=4")
            page.wait_for_function(AVATARS_LOADED)  # a function: the demo's CSP forbids evaluating strings
            found = page.eval_on_selector("#comments", CONTRAST)
            darkness = sum(int(v) for v in found["background"][4:-1].split(",")[:3]) / 3
            assert (darkness < 60) == (scheme == "dark"), found["background"]
            low = {name: round(value, 2) for name, value in found["checks"].items()
                   if value < (3 if name in (".req", "input border") else 4.5)}
            assert not low, (view, scheme, low)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (view, scheme)
            page.screenshot(path=os.path.join(artifacts, f"embed-{view}-{scheme}.png"), full_page=True)


def test_pages_of_fifty_load_more_and_threads_stop_at_depth_five(blog, live_server_factory, open_page):
    service = live_server_factory(ALLOWED_ORIGINS=blog.url)
    client, token = service.app.test_client(), token_for(service)
    chain = [approved(client, token, ARTICLE, body="Depth 1.")]
    for depth in range(2, 7):
        chain.append(approved(client, token, ARTICLE, body=f"Depth {depth}.", parent_id=chain[-1]))
    for number in range(48):
        approved(client, token, ARTICLE, body=f"Comment number {number}.")
    late_reply = approved(client, token, ARTICLE, body="A late reply to the first.", parent_id=chain[0])
    page = open_page(blog.article(service.url))
    page.wait_for_selector("#comments .more:not([hidden])")
    assert page.eval_on_selector_all("#comments li.comment", "items => items.length") == 50
    assert page.text_content("#comments h2") == "55 Comments"
    assert page.text_content("#comments .more") == "Load more comments (5 more)"

    page.click("#comments .more")
    page.wait_for_selector(f"#comments #comment-{chain[0]} > ol > #comment-{late_reply}.depth-2")
    assert page.is_hidden("#comments .more")
    assert page.eval_on_selector_all("#comments li.comment", "items => items.length") == 55
    depths = [page.get_attribute(f"#comments #comment-{id_}", "class") for id_ in chain]
    assert [classes.split()[1] for classes in depths] == ["depth-1", "depth-2", "depth-3", "depth-4", "depth-5",
                                                          "depth-5"]
    fifth, sixth = (f"#comments #comment-{id_}" for id_ in chain[4:])
    assert page.query_selector(f"{fifth} .reply") is None  # like WordPress: no replies below depth five
    assert page.evaluate(f"""() => {{ const root = document.getElementById('comments').shadowRoot;
        return root.querySelector('{fifth.split()[1]}').parentNode === root.querySelector('{sixth.split()[1]}').parentNode; }}""")


def test_a_returning_author_is_recognised_by_the_key_the_embed_kept(blog, live_server_factory, open_page):
    service = live_server_factory(ALLOWED_ORIGINS=blog.url, PREMODERATION="first-time")
    client, token = service.app.test_client(), token_for(service)
    page = open_page(blog.article(service.url))
    saved = "() => JSON.parse(localStorage.getItem('comments:commenter') || 'null')"

    fill(page, "My first comment here.", name="Regular", email="regular@example.org")
    page.check("#comments #wp-comment-cookies-consent")
    page.click("#comments .submit")
    page.wait_for_selector("#comments li.pending")
    key = page.evaluate(saved)["key"]
    assert key.startswith("ck_")  # kept, because the reader agreed
    [first] = client.get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}).json["comments"]
    assert first["reason"] == "held: first comment from this author"
    assert moderate(client, token, first["id"], "approve").status_code == 200

    page.reload()
    page.wait_for_selector(f"#comments #comment-{first['id']}")
    page.fill("#comments #comment", "Back again, published at once.")
    page.click("#comments .submit")
    page.wait_for_selector("#comments li:not(.pending) >> text=Back again, published at once.")
    assert "published" in page.text_content("#comments .status")
    public = client.get(f"/api/v1/articles/{ARTICLE}/comments").json["comments"]
    assert [c["html"] for c in public] == ["<p>My first comment here.</p>", "<p>Back again, published at once.</p>"]

    # Someone else who types the same name and email, in another browser, is held.
    stranger = open_page(blog.article(service.url))
    fill(stranger, "Pretending to be them.", name="Regular", email="regular@example.org")
    stranger.click("#comments .submit")
    stranger.wait_for_selector("#comments li.pending")
    held = client.get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}).json["comments"]
    assert [(c["body"], c["reason"]) for c in held] == [("Pretending to be them.", "held: first comment from this author")]

    page.uncheck("#comments #wp-comment-cookies-consent")
    assert page.evaluate(saved) is None  # unticking forgets the key with the rest


# --- The service's own pages under their CSP; the honeypot; form tokens; the article's title ---

SHADOW = "document.getElementById('comments').shadowRoot"
# Playwright evaluates a bare expression with eval, which a strict policy forbids: functions only.
AVATARS_LOADED = f"() => [...{SHADOW}.querySelectorAll('img')].every(img => img.complete && img.naturalWidth)"
# On the demo pages the plain form stays inside #comments for readers without JavaScript (not
# rendered once the shadow root is attached): this reaches the embed's own form.
EMBED = "#comments section.c"
# axe's aria-hidden-focus rule: nothing inside an aria-hidden subtree may be reachable by Tab.
HIDDEN_BUT_TABBABLE = """root => {
    const reachable = 'a[href], button, input, select, textarea, [tabindex], [contenteditable]', found = [];
    for (const hidden of root.querySelectorAll('[aria-hidden="true"]'))
        for (const el of [hidden, ...hidden.querySelectorAll('*')])
            if (el.matches(reachable) && el.tabIndex >= 0 && !el.disabled) found.push(el.id || el.tagName);
    return found;
}"""
FOCUSED = """() => { const a = document.activeElement;
    return (a.shadowRoot && a.shadowRoot.activeElement || a).id || a.tagName; }"""


def tab_order(page: Any, start: str, presses: int) -> list[str]:
    """Where focus lands, Tab after Tab, from the field `start` (ids, or tag names without one)."""
    page.focus(start)
    landed = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        landed.append(page.evaluate(FOCUSED))
    return landed


def queued(client: Any, token: str, status: str = "pending") -> list[dict[str, Any]]:
    """The comments in one state, through the token API."""
    return client.get(f"/api/v1/moderation/queue?status={status}",
                      headers={"Authorization": f"Bearer {token}"}).json["comments"]


def test_the_demo_article_shows_comments_and_the_form_under_its_strict_policy(live_server, open_page):
    client, token = live_server.app.test_client(), token_for(live_server)
    first = approved(client, token, "demo-paper-maps", name="Mira", body="A *first* comment.")
    approved(client, token, "demo-paper-maps", name="Tomás", email="tomas@example.org", parent_id=first,
             body="A reply.")
    console: list[tuple[str, str]] = []
    page = open_page(f"{live_server.url}/demo/paper-maps", console=console)
    policy = page.reload().headers["content-security-policy"]
    assert policy.startswith("default-src 'none'") and "unsafe" not in policy
    page.wait_for_selector(f"#comments #comment-{first} > ol.children > li.comment")
    page.wait_for_function(AVATARS_LOADED)
    assert page.is_visible(f"{EMBED} #comment") and page.is_visible(f"{EMBED} .submit")
    feed = f"{live_server.url}/feeds/articles/demo-paper-maps.atom"  # the reader's way to the article's feed
    assert page.get_attribute(f"{EMBED} a[rel=alternate][type='application/atom+xml']", "href") == feed
    page.wait_for_function("() => document.querySelector('article .meta a').textContent === '2 Comments'")  # connect-src
    # The embed's styles (a constructed sheet) and the page's (a file) both apply without 'unsafe-inline'.
    assert page.eval_on_selector(f"{EMBED} .submit", "b => getComputedStyle(b).backgroundColor") == "rgb(11, 87, 208)"
    assert "Georgia" in page.evaluate("getComputedStyle(document.body).fontFamily")

    fill(page, "Posted under the page's policy.", scope=EMBED)
    page.click(f"{EMBED} .submit")
    page.wait_for_selector("#comments li.pending")
    page.goto(f"{live_server.url}/demo/")
    page.wait_for_function("() => document.querySelector('[data-comments-count=\"demo-paper-maps\"]').textContent"
                           " === '2 Comments'")
    assert not [text for kind, text in console if kind == "error" and "favicon" not in text.lower()
                and "404" not in text], console


@pytest.mark.parametrize("javascript", [True, False], ids=["embed", "plain form"])
def test_the_honeypot_is_out_of_sight_and_out_of_reach_and_readers_are_not_spam(live_server, open_page,
                                                                                javascript):
    client, token = live_server.app.test_client(), token_for(live_server)
    page = open_page(f"{live_server.url}/demo/paper-maps", java_script_enabled=javascript)
    scope = f"{EMBED} " if javascript else ""
    field = page.wait_for_selector(f"{scope}#website_url", state="attached")
    wrapper = field.evaluate("f => { const p = f.parentNode, s = getComputedStyle(p), box = p.getBoundingClientRect();"
                             " return [s.display, s.visibility, s.clipPath, box.width, box.height, box.right]; }")
    display, visibility, clip, width, height, right = wrapper
    assert display != "none" and visibility == "visible"  # some bots skip fields hidden that way
    assert width <= 1 and height <= 1
    assert clip == "inset(50%)" if javascript else right < 0  # clipped where it stands / off-screen
    if javascript:
        assert tab_order(page, f"{EMBED} #comment", 5) == ["author", "email", "url", "wp-comment-cookies-consent",
                                                            "submit"]
        assert page.evaluate(f"({HIDDEN_BUT_TABBABLE})({SHADOW})") == []
    else:
        assert tab_order(page, "#comment", 4) == ["author", "email", "url", "submit"]
    assert page.evaluate(f"({HIDDEN_BUT_TABBABLE})(document)") == []

    sent: list[dict[str, Any]] = []
    page.on("request", lambda r: r.method == "POST" and "/api/" in r.url and sent.append(json.loads(r.post_data)))
    fill(page, "A reader, not a bot.", scope=scope or "#commentform")
    page.click(f"{scope}#submit")
    page.wait_for_selector("#comments li.pending" if javascript else ".notice")
    [mine] = queued(client, token)
    assert (mine["body"], mine["status"]) == ("A reader, not a bot.", "pending") and "honeypot" not in mine["reason"]
    assert queued(client, token, "spam") == []
    if javascript:
        assert [body["hp"] for body in sent] == [""]  # the embed sends the honeypot, empty


def test_each_showing_of_the_form_gets_a_fresh_token_for_its_article(blog, live_server_factory, open_page):
    service = live_server_factory(ALLOWED_ORIGINS=blog.url, PREMODERATION="none")
    page = open_page(blog.article(service.url))
    page.wait_for_load_state("networkidle")  # its token is asked for once the comments are shown: let that be
    asked: list[str] = []
    page.on("request", lambda r: "/form-token" in r.url and asked.append(r.url.partition("/api/v1")[2]))
    page.reload()  # 1: the form is shown
    for number, text in enumerate(("Published at once.", "And again, with a new token.")):
        fill(page, text)
        page.click("#comments .submit")  # 2, 3: a new token after each accepted comment
        page.wait_for_selector(f"#comments li:not(.pending) >> text={text}")
        assert "published" in page.text_content("#comments .status"), number
    page.fill("#comments #comment", "A draft, restored and sent at once.")
    page.reload()  # 4: the draft comes back with a token of its own
    assert page.input_value("#comments #comment") == "A draft, restored and sent at once."
    page.fill("#comments #author", "Ann Reader")
    page.fill("#comments #email", "ann@example.org")
    page.click("#comments .submit")  # 5
    page.wait_for_selector("#comments li:not(.pending) >> text=A draft, restored and sent at once.")
    assert asked == [f"/form-token?article={ARTICLE}"] * 5
    public = service.app.test_client().get(f"/api/v1/articles/{ARTICLE}/comments").json
    assert public["count"] == 3  # each token was valid for this article, and used once


TITLED = [  # what the post's <head> holds -> the title stored for its article
    ("<title>A post · My Blog</title>", "A post"),
    ("<title>A post | My Blog</title>", "A post"),
    ("<title>A post – My Blog</title>", "A post"),
    ("<title>Part 1 - Part 2 — My Blog</title>", "Part 1 - Part 2"),  # only the last segment goes
    ("<title>Notes:: My Blog</title>", "Notes"),
    ("<title>:: My Blog</title>", ":: My Blog"),  # nothing would be left: kept whole
    ("<title>Just a title</title>", "Just a title"),
    ("<title>Other · Blog</title><meta property='og:title' content='The real title'>", "The real title"),
    ("<title>A post · My Blog</title><link rel='canonical' href='/canonical/post/'>", "A post"),
]


def test_the_embed_sends_the_post_s_own_title_and_canonical_url(blog, live_server_factory, open_page):
    service = live_server_factory(ALLOWED_ORIGINS=blog.url)
    page = open_page(blog.url + "/nothing-yet")
    for number, (head, _) in enumerate(TITLED):
        blog.pages[f"/t/{number}.html"] = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
            {head}</head><body><div id="comments"></div>
            <script src="{service.url}/embed.js" data-article="titled-{number}" async></script></body></html>"""
        page.goto(f"{blog.url}/t/{number}.html?from=feed#respond")
        fill(page, f"Comment {number}.")
        page.click("#comments .submit")
        page.wait_for_selector("#comments li.pending")
    with service.app.app_context():
        stored = {a.id: (a.title, a.url) for a in session().scalars(select(Article))}
    for number, (head, title) in enumerate(TITLED):
        url = f"{blog.url}/canonical/post/" if "canonical" in head else f"{blog.url}/t/{number}.html?from=feed"
        assert stored[f"titled-{number}"] == (title, url), head


def test_the_embed_works_on_a_site_with_a_strict_policy_of_its_own(blog, live_server_factory, open_page):
    service = live_server_factory(ALLOWED_ORIGINS=blog.url)
    approved(service.app.test_client(), token_for(service), ARTICLE, body="Shown under the blog's policy.")
    policy = (f"default-src 'none'; script-src {service.url}; connect-src {service.url}; img-src {service.url}; "
              "style-src 'self'")  # no 'unsafe-inline': the embed's styles are a constructed sheet
    blog.pages["/strict.html"] = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="{policy}"><title>Strict · Blog</title></head><body>
        <div id="comments"></div><script src="{service.url}/embed.js" data-article="{ARTICLE}" async></script>
        </body></html>"""
    page = open_page(blog.url + "/strict.html")
    page.wait_for_selector("#comments li.comment .content >> text=Shown under the blog's policy.")
    page.wait_for_function(AVATARS_LOADED)
    assert page.eval_on_selector("#comments .submit", "b => getComputedStyle(b).backgroundColor") == "rgb(11, 87, 208)"
    fill(page, "Posted from a strict page.")
    page.click("#comments .submit")
    page.wait_for_selector("#comments li.pending")
