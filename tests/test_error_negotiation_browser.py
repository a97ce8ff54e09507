"""The moderators' script, refused by the server, shows the envelope's message where the
eyes are and leaves the comment in place (real headless Chromium)."""

from __future__ import annotations

from typing import Any

from helpers import DESKTOP, add_moderator, log_in_page, open_page, submit


def test_the_script_shows_the_servers_message(browser: Any, live_server: Any) -> None:
    app, url = live_server.app, live_server.url
    add_moderator(app)
    assert submit(app.test_client(), "plain-html", body="A comment to approve").status_code == 202
    context, page, problems = open_page(browser, DESKTOP)
    log_in_page(page, url)
    row = page.locator("article.comment").first
    row.evaluate("row => { row.dataset.id = 'not-a-number'; }")  # what a stale or tampered page would send
    page.keyboard.press("a")
    flash = page.locator(".flash")
    flash.wait_for()
    assert flash.inner_text() == "The selection holds something that is not a comment id."
    assert row.is_visible() and "leaving" not in (row.get_attribute("class") or "")
    assert problems == [] or all("422" in problem for problem in problems), problems
    context.close()
