"""The articles page's title and URL form in real headless Chromium, at desktop and phone width,
with JavaScript on and off. Results are read back from the database; screenshots go to the
artifacts folder.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select

from moderation.store import articles
from moderation.store.database import session
from moderation.store.models import Article

from helpers import DESKTOP, PHONE, add_moderator, log_in_page, open_page, submit

pytestmark = pytest.mark.browser

LONG_TITLE = ("A very long headline about municipal budgets, bicycle lanes and the slow, patient work of "
              "getting a city council to agree on anything at all")
ARTICLES = 30  # a longer list than fits on one screen: rows must stay compact while their forms are closed


def seed(app: Any) -> None:
    """ARTICLES articles with one comment each, titled and linked as their sites would."""
    client = app.test_client()
    for number in range(ARTICLES):
        article_id = f"post-{number:02d}"
        assert submit(client, article_id, body=f"Comment on post {number}").status_code == 202
        title = LONG_TITLE if number == ARTICLES - 1 else f"Post number {number}"
        with app.app_context():
            articles.set_details(article_id, title, f"https://blog.example/{article_id}", datetime.now(timezone.utc))


def stored(app: Any, article_id: str) -> tuple[str | None, str | None]:
    """(title, url) of an article as stored now."""
    with app.app_context():
        row = session().execute(select(Article.title, Article.url).where(Article.id == article_id)
                                .execution_options(populate_existing=True)).one()
        return row.title, row.url


@pytest.mark.parametrize(("name", "viewport", "javascript"), [
    ("desktop", DESKTOP, True), ("phone", PHONE, True), ("phone-nojs", PHONE, False)])
def test_edit_an_articles_title_and_url(browser, live_server, artifacts, name, viewport, javascript):
    app, url = live_server.app, live_server.url
    add_moderator(app)
    seed(app)
    context, page, problems = open_page(browser, viewport, javascript=javascript)
    log_in_page(page, url)
    page.goto(url + "/moderate/articles")
    assert page.locator("table.articles tbody tr").count() == ARTICLES
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # the table scrolls, not the page
    # A closed form adds one short line to its row, so a long list stays readable on a phone too,
    # yet its "Edit" is a target a finger can hit (WCAG 2.5.8: at least 24 px high).
    sizes = "(s) => s.map(e => e.getBoundingClientRect().height)"
    summaries = page.locator("tbody summary").evaluate_all(sizes)
    codes = page.locator("tbody th code").evaluate_all(sizes)
    assert len(summaries) == ARTICLES and 24 <= min(summaries) and max(summaries) <= max(codes) * 2, (summaries, codes)
    page.screenshot(path=os.path.join(artifacts, f"articles-{name}.png"), full_page=True)

    row = page.locator("#article-post-29")
    row.locator("summary").click()
    title = page.get_by_label("Title of article post-29")
    address = page.get_by_label("URL of article post-29")
    assert title.input_value() == LONG_TITLE and address.input_value() == "https://blog.example/post-29"
    for field in (title, address):
        box = field.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] and box["height"] >= 32, name
    row.scroll_into_view_if_needed()
    page.screenshot(path=os.path.join(artifacts, f"articles-{name}-editing.png"))

    address.fill("javascript:alert(document.cookie)")
    page.get_by_role("button", name="Save the title and URL of article post-29").click()
    page.wait_for_selector("#url-post-29-error")
    assert "URL: must be a web address starting with http:// or https://" in page.inner_text("#url-post-29-error")
    assert page.input_value("#url-post-29") == "javascript:alert(document.cookie)"
    assert page.input_value("#title-post-29") == LONG_TITLE
    page.screenshot(path=os.path.join(artifacts, f"articles-{name}-refused.png"), full_page=True)

    page.fill("#title-post-29", "Budgets and bicycle lanes")
    page.fill("#url-post-29", "https://blog.example/2026/budgets")
    page.get_by_role("button", name="Save the title and URL of article post-29").click()
    page.wait_for_selector("text=Article post-29: title and URL saved.")
    link = page.locator("#article-post-29 th > a")
    assert link.inner_text() == "Budgets and bicycle lanes"
    assert link.get_attribute("href") == "https://blog.example/2026/budgets"
    assert stored(app, "post-29") == ("Budgets and bicycle lanes", "https://blog.example/2026/budgets")
    assert page.locator("details[open]").count() == 0  # back on the list, every form is closed again
    # The refused form's 422 is logged by Chromium; anything else (a CSP violation, a script error) is a fault.
    assert [problem for problem in problems if "status of 422" not in problem] == []
    context.close()
