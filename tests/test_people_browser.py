"""The People page in real headless Chromium: an admin looks a reader up, downloads their
export and erases them through the confirmation; axe-core finds nothing wrong at either width."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from helpers import DESKTOP, PHONE, add_moderator, approved, axe_violations, log_in_page, open_page, submit

pytestmark = pytest.mark.browser

ADDRESS = "zelda@example.org"


def test_an_admin_exports_then_erases_a_reader(browser: Any, live_server: Any, artifacts: str) -> None:
    app, url = live_server.app, live_server.url
    token = add_moderator(app)
    client = app.test_client()
    first = approved(client, token, "post-1", email=ADDRESS, name="Zelda", body="Mine.")
    approved(client, token, "post-1", email="bob@example.org", name="Bob", body="A reply.", parent_id=first)
    submit(client, "post-2", email=ADDRESS, name="Zelda", body="Held.")
    context, page, problems = open_page(browser, DESKTOP, bypass_csp=True)
    log_in_page(page, url)
    page.get_by_role("link", name="People").click()
    page.wait_for_url(url + "/moderate/people")
    assert axe_violations(page) == []

    page.get_by_label("Email address").fill("ZELDA@example.org")
    page.get_by_role("button", name="Look up").click()
    page.wait_for_selector("#found-title")
    assert "/moderate/people" == page.url.removeprefix(url)  # the address went in the body, not the URL
    assert "2 comments and 0 blocks" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the export (JSON)").click()
    document = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert [comment["text"] for comment in document["comments"]] == ["Mine.", "Held."]
    page.screenshot(path=os.path.join(artifacts, "people-desktop.png"), full_page=True)

    page.get_by_role("button", name="Erase…").click()
    page.wait_for_selector("h1:has-text('Erase everything stored about')")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []
    page.screenshot(path=os.path.join(artifacts, "people-erase-phone.png"), full_page=True)
    page.get_by_role("button", name="Erase for good").click()
    page.wait_for_selector("text=Erased:")
    assert ADDRESS not in page.content() and "Zelda" not in page.content()

    public = client.get("/api/v1/articles/post-1/comments").json["comments"]
    assert [(c["author"]["name"], c["parent_id"]) for c in public] == [("Anonymous", None), ("Bob", first)]
    assert problems == []
    context.close()
