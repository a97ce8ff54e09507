"""The rules page in real headless Chromium: a word and a block added through the forms."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from moderation.store.database import session
from moderation.store.models import Block, WordEntry

from helpers import DESKTOP, add_moderator, log_in_page, open_page, submit

pytestmark = pytest.mark.browser


def test_add_a_word_and_a_block_on_the_rules_page(browser, live_server, artifacts):
    app, url = live_server.app, live_server.url
    add_moderator(app)
    context, page, problems = open_page(browser, DESKTOP)
    log_in_page(page, url)
    page.get_by_role("link", name="Rules").click()
    page.wait_for_url(url + "/moderate/rules")

    page.fill("#spam-words", "casino\ncheap pills")
    page.get_by_role("button", name="Add to the spam list").click()
    page.wait_for_selector("text=Added 2 words to the spam list.")
    assert page.locator("#spam .word").all_inner_texts() == ["casino", "cheap pills"]
    assert page.locator("#spam h2 .badge").inner_text() == "2"

    page.fill("#block-value", "203.0.113.0/24")
    page.fill("#block-note", "bot farm")
    page.get_by_role("button", name="Block", exact=True).click()
    page.wait_for_selector("text=Blocked 203.0.113.0/24.")
    page.fill("#block-value", "Spammer@Example.org")
    page.get_by_role("button", name="Block", exact=True).click()
    page.wait_for_selector("text=Blocked email (digest")
    rows = [row.split("\t")[:2] for row in page.locator("table.blocks tbody tr").all_inner_texts()]
    assert rows[1] == ["203.0.113.0/24", "bot farm"]
    assert rows[0][0].startswith("email (digest …") and "spammer" not in page.content().lower()
    page.screenshot(path=os.path.join(artifacts, "rules-desktop.png"), full_page=True)

    page.fill("#block-value", "300.1.1.1")
    page.get_by_role("button", name="Block", exact=True).click()
    page.wait_for_selector("#block-value-error")
    assert "'300.1.1.1' is not an IP address or CIDR range" in page.locator("#block-value-error").inner_text()
    assert page.input_value("#block-value") == "300.1.1.1"

    with app.app_context():
        assert list(session().scalars(select(WordEntry.word).order_by(WordEntry.word))) == ["casino", "cheap pills"]
        assert session().scalar(select(Block.note).where(Block.kind == "ip")) == "bot farm"
    sent = submit(app.test_client(), body="Best casino in town")
    assert sent.status_code == 202
    # The refused form's 422 is logged by Chromium; anything else (a CSP violation, a script error) is a fault.
    assert [problem for problem in problems if "status of 422" not in problem] == []
    context.close()
