"""The team page in real headless Chromium, and axe-core on every moderator page.

An admin makes a token, sees its secret once and revokes it through the confirmation;
screenshots at desktop and phone width go to the artifacts folder. axe-core (from npm,
tests/browser) then checks the team page, the queue, the articles, the rules, the audit
log and the password page, at both widths where the layout changes most.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from moderation.shared import now
from moderation.store import rules as rules_store
from moderation.store.moderators import moderator_by_name

from helpers import DESKTOP, PHONE, add_moderator, axe_violations, log_in_page, open_page, submit

pytestmark = pytest.mark.browser

SECRET = re.compile(r"mod_[A-Za-z0-9_-]{20,}")


def queue_status(app: Any, token: str) -> int:
    """What the token API answers a token: 200 while it works, 401 after."""
    return app.test_client().get("/api/v1/moderation/queue",
                                 headers={"Authorization": f"Bearer {token}"}).status_code


def molly_id(app: Any) -> int:
    """The id of moderator molly."""
    with app.app_context():
        found = moderator_by_name("molly")
        assert found is not None
        return found.id


def fits(page: Any, viewport: dict[str, int]) -> None:
    """The page never scrolls sideways: whatever is wide scrolls inside its own box."""
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.url


def test_an_admin_makes_a_token_sees_it_once_and_revokes_it(browser, live_server, artifacts):
    app, url = live_server.app, live_server.url
    add_moderator(app)
    add_moderator(app, "molly", "a long password", role="moderator")
    member = f"#member-{molly_id(app)}"
    context, page, problems = open_page(browser, DESKTOP)
    log_in_page(page, url)
    page.get_by_role("link", name="Team").click()
    page.wait_for_url(url + "/moderate/team")
    assert page.get_by_role("link", name="Team").get_attribute("aria-current") == "page"

    page.locator(member).get_by_label("Label (optional)").fill("deploy bot")
    page.locator(member).get_by_label("Expires in days (optional)").fill("30")
    page.get_by_role("button", name="New API token for molly").click()
    secret = page.locator("#new-token-secret").inner_text()
    assert SECRET.fullmatch(secret) and queue_status(app, secret) == 200
    assert page.locator("#messages").inner_text().startswith("Made API token")
    page.set_viewport_size(PHONE)
    fits(page, PHONE)
    page.locator("#new-token").screenshot(path=os.path.join(artifacts, "team-new-token-phone.png"))
    page.set_viewport_size(DESKTOP)
    token_id = int(re.search(r"New API token (\d+)", page.locator("#new-token h3").inner_text()).group(1))

    page.goto(url + "/moderate/team")
    assert secret not in page.content()  # shown once: not on the page again
    page.get_by_role("button", name=f"Revoke… token {token_id} of molly").click()
    page.wait_for_selector(f"h1:has-text('Revoke API token {token_id} of molly?')")
    page.get_by_role("button", name=f"Revoke token {token_id}").click()
    page.wait_for_selector(f"text=Revoked API token {token_id} of molly: it no longer works.")
    assert queue_status(app, secret) == 401
    assert page.locator(f"{member} table tbody tr").count() == 1  # her first token is left

    page.screenshot(path=os.path.join(artifacts, "team-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    fits(page, PHONE)
    page.screenshot(path=os.path.join(artifacts, "team-phone.png"), full_page=True)
    assert problems == []
    context.close()


def seed(app: Any) -> None:
    """A site with something on every page: comments, a reply, an article, rules, audit entries."""
    token = add_moderator(app)
    add_moderator(app, "molly", "a long password", role="moderator")
    client = app.test_client()
    first = submit(client, "plain-html", article_title="Why we moved to plain HTML",
                   article_url="http://localhost/plain-html").json["id"]
    client.post(f"/api/v1/moderation/comments/{first}", json={"action": "approve"},
                headers={"Authorization": f"Bearer {token}"})
    submit(client, "plain-html", name="Tom", email="tom@example.net", body="A reply.", parent_id=first)
    submit(client, "other", name="<b>Mallory</b>", email="m@example.org", body="<script>x</script> hello")
    with app.app_context():
        mod = moderator_by_name("mod")
        rules_store.add_words("hold", ["casino"], now(), by=mod)
        rules_store.add_block("ip", rules_store.block_value("ip", "203.0.113.0/24"), "bot farm", now(), by=mod)


# (path, the widths to check it at): the queue and the team change most from desktop to phone.
PAGES = [("/moderate/team", (DESKTOP, PHONE)), ("/moderate/", (DESKTOP, PHONE)),
         ("/moderate/articles", (DESKTOP,)), ("/moderate/rules", (DESKTOP,)),
         ("/moderate/audit", (DESKTOP,)), ("/moderate/password", (DESKTOP,))]


def test_axe_finds_nothing_wrong_on_the_moderators_pages(browser, live_server):
    app, url = live_server.app, live_server.url
    seed(app)
    found: dict[str, list[dict[str, Any]]] = {}
    for viewport in (DESKTOP, PHONE):
        context, page, _ = open_page(browser, viewport, bypass_csp=True)
        log_in_page(page, url)
        for path, widths in PAGES:
            if viewport in widths:
                page.goto(url + path)
                found[f"{path} at {viewport['width']}px"] = axe_violations(page)
                fits(page, viewport)
        context.close()
    assert {where: violations for where, violations in found.items() if violations} == {}


def test_axe_finds_nothing_wrong_with_the_team_pages_forms_and_answers(browser, live_server):
    """The states a plain GET never shows: a new secret, a refused form, a confirmation."""
    app, url = live_server.app, live_server.url
    seed(app)
    member = f"#member-{molly_id(app)}"
    context, page, _ = open_page(browser, PHONE, bypass_csp=True)
    log_in_page(page, url)
    found: dict[str, list[dict[str, Any]]] = {}
    page.goto(url + "/moderate/team")
    page.get_by_role("button", name="New API token for molly").click()
    page.wait_for_selector("#new-token-secret")
    found["a new secret"] = axe_violations(page)
    page.locator(member).get_by_label("Expires in days (optional)").fill("forever")
    page.get_by_role("button", name="New API token for molly").click()
    page.wait_for_selector(f"{member} .error")
    found["a refused token form"] = axe_violations(page)
    page.get_by_role("button", name="Add the moderator").click()
    page.wait_for_selector("#name-error")
    found["a refused moderator form"] = axe_violations(page)
    page.get_by_role("button", name="Remove molly…").click()
    page.wait_for_selector("h1:has-text('Remove molly from the team?')")
    found["a confirmation"] = axe_violations(page)
    fits(page, PHONE)
    context.close()
    assert {where: violations for where, violations in found.items() if violations} == {}
