"""The reader's side of embed.js in real headless Chromium, cross-origin on a site owner's page:
identicons drawn like the server's, languages (right to left too), closed articles, newest first,
Retry, Esc, the skip link, the server's fragment replaced, reports, theming, and axe-core on the
demo article (light, dark, with the form's errors shown). Nothing is mocked but a list request
made to fail once (Playwright's route) to show Retry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from moderation.core.avatars import identicon_svg
from moderation.shared import now
from moderation.store.articles import set_closed

from helpers import DESKTOP, PHONE, add_moderator, approved, axe_violations, moderate

pytestmark = pytest.mark.browser

ARTICLE = "reader-article"
SHADOW = "document.getElementById('comments').shadowRoot"


@pytest.fixture
def page_of(browser: Any) -> Iterator[Any]:
    """page_of(url, **context options) -> a page that has loaded the embed; any script error fails the test."""
    contexts, errors = [], []

    def open_(url: str, wait: str = "#comments section.c", **options: Any) -> Any:
        contexts.append(browser.new_context(**{"viewport": DESKTOP, **options}))
        page = contexts[-1].new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        page.wait_for_selector(wait)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, errors


def comments_on(service: Any, article: str = ARTICLE, count: int = 3) -> list[int]:
    """Approve `count` comments by as many authors on the article; their ids, oldest first."""
    client, token = service.app.test_client(), add_moderator(service.app, name=f"mod-{article}")
    return [approved(client, token, article, name=f"Reader {n}", email=f"reader{n}@example.org", body=f"Comment {n}.")
            for n in range(count)]


def test_avatars_are_drawn_inline_exactly_as_the_server_draws_them(host_site, live_server_factory, page_of):
    service = live_server_factory(ALLOWED_ORIGINS=host_site.url)
    comments_on(service, count=6)
    requests: list[str] = []
    page = page_of(host_site.post(service.url, ARTICLE), wait="#comments li.comment >> nth=5")
    page.on("request", lambda request: requests.append(request.url))
    public = service.app.test_client().get(f"/api/v1/articles/{ARTICLE}/comments").json["comments"]
    for comment in public:
        digest = re.fullmatch(r"/avatars/([0-9a-f]{16})\.svg", comment["author"]["avatar"]).group(1)
        server = identicon_svg(digest)
        want_d, want_fill = re.search(r'<path fill="#(\w{6})" d="([^"]+)"', server).group(2, 1)
        drawn = page.eval_on_selector(f"#comments #comment-{comment['id']} svg.avatar path",
                                      "p => [p.getAttribute('d'), getComputedStyle(p).fill]")
        assert drawn[0] == want_d, digest  # the same cells
        got = [int(v) for v in re.findall(r"\d+", drawn[1])]
        assert all(abs(a - b) <= 1 for a, b in zip(got, bytes.fromhex(want_fill))), (digest, drawn[1], want_fill)
    assert not [url for url in requests if "/avatars/" in url]  # no request per avatar


LANGUAGES = [  # data-lang, the page's lang, the embed's lang and dir, the submit button's words
    ("de", "en", "de", "ltr", "Kommentar abschicken"),
    ("", "de-AT", "de", "ltr", "Kommentar abschicken"),
    ("es", "en", "es", "ltr", "Publicar el comentario"),
    ("ar", "en", "ar", "rtl", "أرسل التعليق"),
    ("en", "ar", "en", "ltr", "Post Comment"),
    ("fr", "fr", "en", "ltr", "Post Comment"),
]


@pytest.mark.parametrize(("data_lang", "page_lang", "lang", "direction", "post"), LANGUAGES)
def test_each_language_with_its_direction_plurals_and_dates(host_site, live_server_factory, page_of, artifacts,
                                                           data_lang, page_lang, lang, direction, post):
    service = live_server_factory(ALLOWED_ORIGINS=host_site.url)
    comments_on(service, count=3)
    attributes = f'data-lang="{data_lang}"' if data_lang else ""
    page = page_of(host_site.post(service.url, ARTICLE, attributes, lang=page_lang), wait="#comments li.comment >> nth=2")
    assert page.eval_on_selector("#comments section.c", "s => [s.lang, s.dir, getComputedStyle(s).direction]") == [
        lang, direction, direction]
    assert page.text_content("#comments #submit") == post
    expected = {"de": "3 Kommentare", "es": "3 comentarios", "en": "3 Comments"}.get(lang)
    if lang == "ar":  # CLDR: 3 is "few" in Arabic, written in Arabic-Indic digits
        expected = page.evaluate("() => (3).toLocaleString('ar')") + " تعليقات"
    assert page.text_content("#comments h2") == expected
    date = page.text_content("#comments li.comment time")
    assert date == page.eval_on_selector("#comments li.comment time", f"""t => new Date(t.dateTime)
        .toLocaleString('{lang}', {{dateStyle: 'long', timeStyle: 'short'}})""")
    sent: list[str] = []
    page.on("request", lambda r: r.method == "POST" and "/comments" in r.url and sent.append(r.post_data))
    page.fill("#comments #comment", "Ein Kommentar.")
    page.fill("#comments #author", "Ann")
    page.fill("#comments #email", "ann@example.org")
    page.click("#comments #submit")
    page.wait_for_selector("#comments li.pending")
    assert f'"lang":"{lang}"' in sent[0]
    if lang == "ar":
        page.screenshot(path=os.path.join(artifacts, "embed-desktop-arabic.png"), full_page=True)


def test_closed_newest_first_retry_escape_skip_link_and_the_fragment_replaced(host_site, live_server_factory,
                                                                              page_of):
    service = live_server_factory(ALLOWED_ORIGINS=host_site.url)
    ids = comments_on(service, count=6)
    fragment = service.app.test_client().get(f"/articles/{ARTICLE}/comments.html").get_data(as_text=True)
    assert "Comment 5." in fragment
    page = page_of(host_site.post(service.url, ARTICLE, 'data-order="newest"', inside=fragment),
                   wait="#comments li.comment >> nth=5")
    assert page.evaluate("document.getElementById('comments').children.length") == 0  # the fragment is gone
    order = page.eval_on_selector_all("#comments ol.comment-list > li", "items => items.map(li => li.id)")
    assert order == [f"comment-{i}" for i in reversed(ids)]

    page.click("#comments a[href='#respond']")  # six comments: a skip link to the form
    assert page.evaluate(f"{SHADOW}.activeElement.id") == "comment"
    page.click(f"#comments #comment-{ids[0]} .reply")
    page.wait_for_selector(f"#comments #comment-{ids[0]} #respond")
    page.keyboard.press("Escape")
    page.wait_for_selector(f"#comments #comment-{ids[0]} #respond", state="detached")
    assert page.evaluate(f"{SHADOW}.activeElement.classList.contains('reply')")

    failed = []

    def fail_once(route: Any) -> None:
        if failed:
            route.continue_()
        else:
            failed.append(route.request.url)
            route.abort()

    page.route(re.compile(r".*/api/v1/articles/.*/comments\?.*"), fail_once)
    page.reload()
    page.wait_for_function(f"{SHADOW}.querySelector('.status').textContent.includes('could not be loaded')")
    page.click("#comments button.btn:not(.more):not(.submit) >> text=Try again")
    page.wait_for_selector("#comments li.comment >> nth=5")
    assert len(failed) == 1

    with service.app.app_context():
        set_closed(ARTICLE, True, now())
    page.unroute(re.compile(r".*/api/v1/articles/.*/comments\?.*"))
    page.reload()
    page.wait_for_selector("#comments li.comment >> nth=5")
    page.wait_for_function(f"{SHADOW}.querySelector('.notes[hidden]') === null")
    assert page.is_visible("#comments >> text=Comments are closed.")
    assert page.is_hidden("#comments #respond") and page.query_selector("#comments .reply") is None
    assert page.is_visible(f"#comments #comment-{ids[0]} .report")  # still listed, still reportable


def test_reporting_a_comment_thanks_errors_limit_and_threshold(host_site, live_server_factory, page_of):
    service = live_server_factory(ALLOWED_ORIGINS=host_site.url, REPORT_THRESHOLD=1, REPORT_RATELIMIT="3/hour",
                                  RATELIMIT="100/minute", FLOOD_SECONDS=0)
    first, second, third, fourth = comments_on(service, count=4)
    url = host_site.post(service.url, ARTICLE)
    page = page_of(url, wait="#comments li.comment >> nth=3")

    page.click(f"#comments #comment-{second} .report")  # 422: no reason, then a note too long
    page.wait_for_selector(f"#comments #report-{second}")
    assert page.evaluate(f"{SHADOW}.activeElement.value") == "spam"  # focus on the first reason
    page.click(f"#comments #report-{second} .btn")
    page.wait_for_selector(f"#comments #report-{second}-reason-error:not([hidden])")
    page.eval_on_selector(f"#comments #report-{second}-note", "t => t.removeAttribute('maxlength')")
    page.check(f"#comments #report-{second}-abuse")
    page.fill(f"#comments #report-{second}-note", "x" * 501)
    page.click(f"#comments #report-{second} .btn")
    page.wait_for_selector(f"#comments #report-{second}-note-error:not([hidden])")
    page.keyboard.press("Escape")  # cancelled: the form goes, focus back on Report
    page.wait_for_selector(f"#comments #report-{second}", state="detached")

    client, token = service.app.test_client(), add_moderator(service.app, name="mod-reports")
    moderate(client, token, third, "reject")  # 404: no longer published
    page.click(f"#comments #comment-{third} .report")
    page.check(f"#comments #report-{third}-spam")
    page.click(f"#comments #report-{third} .btn")
    page.wait_for_selector(f"#comments #report-{third} >> text=This comment is no longer published.")

    for comment in (first, second):  # 202, twice (the 404 counted too): thanks, and the Report button goes
        page.click(f"#comments #comment-{comment} .report")
        page.check(f"#comments #report-{comment}-off-topic")
        page.click(f"#comments #report-{comment} .btn")
        page.wait_for_selector(f"#comments #comment-{comment} >> text=Thank you. A moderator will look at this comment.")
        assert page.is_hidden(f"#comments #comment-{comment} .report")
    page.click(f"#comments #comment-{fourth} .report")  # over the limit: wait
    page.check(f"#comments #report-{fourth}-other")
    page.click(f"#comments #report-{fourth} .btn")
    page.wait_for_selector(f"#comments #report-{fourth} .alert >> text=/Please wait ([\\d,]+ seconds|a minute)/")

    page.reload()  # at the threshold (1 here) a reported comment goes back to the moderators
    page.wait_for_selector(f"#comments #comment-{fourth}")
    assert page.query_selector(f"#comments #comment-{first}") is None


THEMED = """<style>#comments{--comments-accent:rgb(120, 0, 60);--comments-radius:0px;font:19px/1.3 Georgia,serif}
    #comments::part(comment){background:rgb(1, 2, 3)}</style>"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_host_themes_it_with_custom_properties_parts_and_its_own_font(host_site, live_server_factory, page_of,
                                                                        scheme):
    service = live_server_factory(ALLOWED_ORIGINS=host_site.url)
    comments_on(service, count=1)
    plain = page_of(host_site.post(service.url, ARTICLE, f'data-color-scheme="{scheme}"'), wait="#comments li.comment")
    default = plain.eval_on_selector("#comments .submit", "b => getComputedStyle(b).backgroundColor")
    assert default == ("rgb(11, 87, 208)" if scheme == "light" else "rgb(138, 180, 248)")
    page = page_of(host_site.post(service.url, ARTICLE, f'data-color-scheme="{scheme}"', head=THEMED),
                   wait="#comments li.comment")
    styles = page.eval_on_selector("#comments .submit", "b => [getComputedStyle(b).backgroundColor, "
                                   "getComputedStyle(b).borderRadius, getComputedStyle(b).fontFamily]")
    assert styles == ["rgb(120, 0, 60)", "0px", "Georgia, serif"]
    section = page.eval_on_selector("#comments section.c", "s => [getComputedStyle(s).fontSize, getComputedStyle(s).fontFamily]")
    assert section == ["19px", "Georgia, serif"]
    assert page.eval_on_selector("#comments article", "a => getComputedStyle(a).backgroundColor") == "rgb(1, 2, 3)"


@pytest.mark.parametrize("view", ["desktop-light", "desktop-dark", "phone-light"])
def test_axe_finds_nothing_wrong_with_the_demo_article_and_its_errors(browser, live_server, artifacts, view):
    client, token = live_server.app.test_client(), add_moderator(live_server.app)
    first = approved(client, token, "demo-paper-maps", name="Mira", body="A first comment with <em>HTML</em>.")
    approved(client, token, "demo-paper-maps", name="Tomás", email="tomas@example.org", parent_id=first, body="A reply.")
    size, scheme = view.split("-")
    context = browser.new_context(viewport=PHONE if size == "phone" else DESKTOP, color_scheme=scheme, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/demo/paper-maps")
        page.wait_for_selector(f"#comments #comment-{first} li.comment")
        assert page.evaluate("document.querySelector('main section[aria-label=Comments]') !== null")  # the host's own
        assert axe_violations(page) == [], view
        page.click("#comments .submit")
        page.wait_for_selector("#comments #comment[aria-invalid=true]")
        assert axe_violations(page) == [], f"{view}, with the form's errors"
    finally:
        context.close()


def test_a_pending_comment_shows_the_picture_it_will_have(host_site, live_server_factory, page_of):
    service = live_server_factory(ALLOWED_ORIGINS=host_site.url)
    client, token = service.app.test_client(), add_moderator(service.app, name="mod-pending")
    page = page_of(host_site.post(service.url, ARTICLE))
    answers: list[Any] = []
    page.on("response", lambda r: r.request.method == "POST" and r.url.endswith("/comments") and answers.append(r))
    page.fill("#comments #comment", "Mine, waiting.")
    page.fill("#comments #author", "Ann")
    page.fill("#comments #email", "ann@example.org")
    page.click("#comments #submit")
    page.wait_for_selector("#comments li.pending svg.avatar path")
    pending = page.eval_on_selector("#comments li.pending svg.avatar path", "p => p.getAttribute('d')")
    avatar = answers[0].json()["avatar"]
    digest = re.fullmatch(r"/avatars/([0-9a-f]{16})\.svg", avatar).group(1)
    assert pending == re.search(r'd="([^"]+)"', identicon_svg(digest)).group(1)  # the 202's picture, drawn
    assert moderate(client, token, answers[0].json()["id"], "approve").status_code == 200
    page.reload()
    page.wait_for_selector("#comments li.comment:not(.pending)")
    published = client.get(f"/api/v1/articles/{ARTICLE}/comments").json["comments"][0]["author"]["avatar"]
    assert published == avatar  # published, it has the picture it showed while it waited


def test_the_server_rendered_list_stays_until_the_embed_draws(host_site, live_server_factory, browser):
    service = live_server_factory(ALLOWED_ORIGINS=host_site.url)
    comments_on(service, count=2)
    fragment = service.app.test_client().get(f"/articles/{ARTICLE}/comments.html").get_data(as_text=True)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    held: list[Any] = []
    page.route("**/api/v1/articles/*/comments?*", lambda route: held.append(route))  # the list waits
    page.goto(host_site.post(service.url, ARTICLE, inside=fragment))
    for _ in range(50):  # until embed.js has run and asked for the list (which does not come)
        if held:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(200)  # and has done all it does before the list comes
    assert held and page.evaluate("!document.getElementById('comments').shadowRoot")
    assert page.is_visible("#comments .comments-static li.comment")  # still there for the reader
    held[0].continue_()
    page.wait_for_selector("#comments li.comment >> nth=1")
    assert page.evaluate("document.getElementById('comments').children.length") == 0
    context.close()


def test_another_language_is_asked_for_beside_the_list_not_after_it(host_site, live_server_factory, browser):
    service = live_server_factory(ALLOWED_ORIGINS=host_site.url)
    comments_on(service, count=1)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    held: list[Any] = []
    page.route("**/api/v1/articles/*/comments?*", lambda route: held.append(route))  # the list does not come
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(host_site.post(service.url, ARTICLE, 'data-lang="de"'))
    for _ in range(50):
        if held and any("/embed/i18n/de.json" in url for url in asked):
            break
        page.wait_for_timeout(100)
    assert held and any("/embed/i18n/de.json" in url for url in asked)  # both out while the list waits
    held[0].continue_()
    page.wait_for_selector("#comments li.comment")
    assert page.text_content("#comments h2") == "1 Kommentar"
    context.close()
