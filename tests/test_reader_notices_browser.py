"""Readers' notices in real headless Chromium: the embed's two boxes, then the mails' pages.

A reader on a phone ticks the boxes (unticked at first, shown only where the service sends
mail), posts, opens the confirmation mail's link, presses its one button, and later stops
every mail from the unsubscribe page. Each page passes axe-core and is kept as a screenshot.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from sqlalchemy import select

from moderation.notify.worker import Worker
from moderation.store.database import session
from moderation.store.reader_models import ReaderConsent, Subscription

from helpers import DESKTOP, PHONE, Inbox, axe_violations, open_page, parts

pytestmark = pytest.mark.browser

ADDRESS = "ann.reader@example.org"
BOXES = "fieldset.notices"  # the embed's (inside its shadow root; Playwright's CSS pierces it)
EMBED = f"form:has({BOXES})"  # the embed's form, not the plain one it covers


def real(problems: list[str]) -> list[str]:
    """The console's errors but Chromium's own request for a /favicon.ico, which the demo has not."""
    return [problem for problem in problems if "404 (NOT FOUND)" not in problem]


def test_a_reader_ticks_the_boxes_confirms_and_stops_on_a_phone(browser: Any, live_server_factory: Any,
                                                                smtp_inbox: tuple[Inbox, int],
                                                                artifacts: str) -> None:
    handler, port = smtp_inbox
    service = live_server_factory(SMTP_URL=f"smtp://127.0.0.1:{port}", MAIL_FROM="Comments <c@news.example>",
                                  PUBLIC_URL="http://127.0.0.1")
    service.app.config["PUBLIC_URL"] = service.url  # the mails' links lead back to this server
    context, page, problems = open_page(browser, PHONE)
    page.goto(f"{service.url}/demo/paper-maps")
    boxes = page.locator(f"{BOXES} input[type=checkbox]")
    boxes.first.wait_for()
    assert [box.is_checked() for box in boxes.all()] == [False, False]
    page.screenshot(path=os.path.join(artifacts, "notices-embed-phone.png"), full_page=True)
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.locator(f"{EMBED} #comment").fill("Folding maps is a skill.")
    page.locator(f"{EMBED} #author").fill("Ann")
    page.locator(f"{EMBED} #email").fill(ADDRESS)
    page.locator(f"{EMBED} #submit").click()
    page.get_by_text("New address? Confirm it from the email we send.").wait_for()
    assert [box.is_checked() for box in boxes.all()] == [False, False]  # the next comment asks anew
    with service.app.app_context():
        assert sorted(session().scalars(select(Subscription.kind))) == ["approval", "replies"]
    assert real(problems) == []
    context.close()

    Worker(service.app).run_once()
    [(_, asking)] = handler.messages
    link = re.search(re.escape(service.url) + r"/notices/confirm/\S+", parts(asking)[0]).group(0)
    stop = str(asking["List-Unsubscribe"]).strip().strip("<>")
    context, page, problems = open_page(browser, PHONE, bypass_csp=True)
    page.goto(link)
    assert axe_violations(page) == []
    page.screenshot(path=os.path.join(artifacts, "notices-confirm-phone.png"), full_page=True)
    page.get_by_role("button", name="Confirm my address").click()
    page.get_by_role("heading", name="Thank you: your address is confirmed").wait_for()
    assert axe_violations(page) == []
    page.set_viewport_size(DESKTOP)
    page.goto(stop)
    assert axe_violations(page) == []
    page.screenshot(path=os.path.join(artifacts, "notices-stop-desktop.png"), full_page=True)
    page.get_by_role("button", name="Stop all emails").click()
    page.get_by_role("heading", name="Done: no more emails from us").wait_for()
    with service.app.app_context():
        [consent] = session().scalars(select(ReaderConsent))
        assert consent.confirmed_at is not None and consent.stopped_at is not None
    assert real(problems) == []
    context.close()


def test_without_mail_the_embed_offers_no_boxes(browser: Any, live_server: Any) -> None:
    context, page, problems = open_page(browser, DESKTOP)
    page.goto(f"{live_server.url}/demo/paper-maps")
    page.locator("#comments section.c #submit").wait_for()
    page.wait_for_load_state("networkidle")  # the form token has come back, saying "no mail"
    # The embed draws the boxes (from embed-write.js) only when the token says mail is set up; its own
    # drawing replaced the plain form that stood in the target.
    assert page.locator("#comment_notify_replies").count() == 0
    assert real(problems) == []
    context.close()
