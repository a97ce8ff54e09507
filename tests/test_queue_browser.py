"""The web queue in real headless Chromium: a moderator's day by keyboard, and the same
queue with JavaScript off. Results are read back from the database, the token API and
the audit page; screenshots (desktop and phone width) go to the artifacts folder.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import select

from moderation.store.database import session
from moderation.store.models import Comment

from helpers import DESKTOP, PHONE, add_moderator, log_in_page, open_page, submit

pytestmark = pytest.mark.browser

# On the service's own origin (the test client's), so the submission may set the article's title.
ARTICLE = {"article_title": "Why we moved our blog to plain HTML", "article_url": "http://localhost/plain-html"}
COMMENTS = [
    ("Priya Raman", "priya@example.org", "priya.example", "Great write-up. How did you handle the RSS feed?"),
    ("Tom Becker", "tom@example.net", "", "I tried this last year and went back. The build step was the pain."),
    ("Lena", "lena@example.com", "", "Typo in the second paragraph: \"it's\" should be \"its\"."),
    ("Buy Followers Now", "promo@spam.example", "spam.example", "Cheap followers!!! Visit our site."),
    ("Mallory", "mallory@example.org", "", "<script>alert('hi moderators')</script> <b>bold</b> claim"),
    ("Sam O.", "sam@example.org", "sam.example", "Counterpoint: static sites still need a comment system."),
    ("Kai", "kai@example.org", "", "Bookmarked. Would love a follow-up about hosting costs."),
]


def stored(app: Any, comment_id: int) -> Comment | None:
    """A comment as stored now (None when deleted)."""
    with app.app_context():
        return session().scalar(select(Comment).where(Comment.id == comment_id).execution_options(
            populate_existing=True))


def fill_queue(app: Any) -> list[int]:
    """Seven pending comments on one article, as readers would send them."""
    client = app.test_client()
    ids = []
    for name, email, website, body in COMMENTS:
        response = submit(client, "plain-html", name=name, email=email, website=website, body=body, **ARTICLE)
        assert response.status_code == 202, response.json
        ids.append(response.json["id"])
    return ids


def test_a_moderators_day_by_keyboard(browser, live_server, artifacts):
    app, url = live_server.app, live_server.url
    add_moderator(app)
    ids = fill_queue(app)
    context, page, problems = open_page(browser, DESKTOP)
    log_in_page(page, url)
    assert page.evaluate("document.activeElement.id") == f"c-{ids[0]}"
    assert page.locator("#pending-count").inner_text() == "7"
    page.screenshot(path=os.path.join(artifacts, "queue-desktop.png"))

    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()

    # a approves the first comment; the focus moves on to the next.
    page.keyboard.press("a")
    page.wait_for_selector(f"#c-{ids[0]}", state="detached")
    assert stored(app, ids[0]).status == "approved"
    assert page.evaluate("document.activeElement.id") == f"c-{ids[1]}"
    assert page.locator("#pending-count").inner_text() == "6"

    # x selects, j moves: three selected, r rejects them together.
    for key in ("x", "j", "x", "j", "x"):
        page.keyboard.press(key)
    assert page.locator("input[name=ids]:checked").count() == 3
    page.keyboard.press("r")
    for comment_id in ids[1:4]:
        page.wait_for_selector(f"#c-{comment_id}", state="detached")
        assert stored(app, comment_id).status == "rejected"
    assert page.evaluate("document.activeElement.id") == f"c-{ids[4]}"

    # e edits the current comment; Ctrl+Enter saves and comes back to it.
    page.keyboard.press("e")
    page.wait_for_selector("#edit-form")
    page.fill("#body", "Edited by a moderator: <b>kept</b> <script>dropped()</script>")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{url}/moderate/#c-{ids[4]}")
    edited = stored(app, ids[4])
    assert edited.body_html == "<p>Edited by a moderator: <b>kept</b> &lt;script&gt;dropped()&lt;/script&gt;</p>"
    assert f"Comment {ids[4]} edited." in page.locator("#messages").inner_text()
    assert page.evaluate("document.activeElement.id") == f"c-{ids[4]}"

    # d asks first: dismissing keeps the comment, accepting deletes it.
    page.keyboard.press("j")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.keyboard.press("d")
    assert page.locator(f"#c-{ids[5]}").count() == 1
    assert stored(app, ids[5]).status == "pending"
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("d")
    page.wait_for_selector(f"#c-{ids[5]}", state="detached")
    assert stored(app, ids[5]) is None
    assert page.evaluate("document.activeElement.id") == f"c-{ids[6]}"

    # Close the article to new comments.
    page.get_by_role("link", name="Articles").click()
    page.get_by_role("button", name=f"Close {ARTICLE['article_title']}").click()
    page.wait_for_selector("text=is now closed to new comments")
    refused = submit(app.test_client(), "plain-html", body="One more thought")
    assert refused.status_code == 403 and refused.json["error"] == "comments_closed"

    # Read everything back in the audit log, newest first.
    page.get_by_role("link", name="Audit log").click()
    rows = [row.split("\t") for row in page.locator("table.audit tbody tr").all_inner_texts()]
    assert [(row[1], row[2], row[3], row[6]) for row in rows] == [
        ("mod", "closed", "", "web"),
        ("mod", "deleted", str(ids[5]), "web"),
        ("mod", "edited", str(ids[4]), "web"),
        *[("mod", "rejected", str(comment_id), "web") for comment_id in reversed(ids[1:4])],
        ("mod", "approved", str(ids[0]), "web"),
    ]
    page.select_option("#action", "rejected")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/moderate/audit?*action=rejected*")
    assert page.locator("table.audit tbody tr").count() == 3
    assert problems == []
    context.close()


def test_the_queue_on_a_phone(browser, live_server, artifacts):
    add_moderator(live_server.app)
    fill_queue(live_server.app)
    context, page, problems = open_page(browser, PHONE)
    log_in_page(page, live_server.url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    first = page.locator("article.comment").first
    for name in ("Approve", "Reject", "Spam", "Delete…"):
        box = first.get_by_role("button", name=name, exact=True).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 32, name
    page.screenshot(path=os.path.join(artifacts, "queue-phone.png"))
    page.screenshot(path=os.path.join(artifacts, "queue-phone-full.png"), full_page=True)
    assert problems == []
    context.close()


def test_the_queue_works_without_javascript(browser, live_server):
    app, url = live_server.app, live_server.url
    add_moderator(app)
    ids = fill_queue(app)
    context, page, _ = open_page(browser, DESKTOP, javascript=False)
    log_in_page(page, url)
    page.locator(f"#c-{ids[0]}").get_by_role("button", name="Approve").click()
    page.wait_for_url(f"{url}/moderate/#c-{ids[1]}")
    assert stored(app, ids[0]).status == "approved"
    assert "Approved 1 comment." in page.locator("#messages").inner_text()

    page.check(f"#select-{ids[1]}")
    page.check(f"#select-{ids[2]}")
    page.locator(".toolbar").get_by_role("button", name="Spam").click()
    page.wait_for_selector("text=Marked as spam 2 comments.")
    assert [stored(app, i).status for i in ids[1:3]] == ["spam", "spam"]

    page.locator(f"#c-{ids[3]}").get_by_role("button", name="Delete").click()
    page.wait_for_selector("text=for good?")
    assert stored(app, ids[3]) is not None
    page.get_by_role("button", name="Delete 1 comment").click()
    page.wait_for_selector("text=Deleted 1 comment.")
    assert stored(app, ids[3]) is None
    context.close()
