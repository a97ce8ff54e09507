"""The webhooks page over HTTP: admins only, CSRF, the secret shown once, fields named, nothing runs.

An admin lists, adds and removes webhooks (removing asks first); each change is audited under
their name. A moderator gets 403 on every route and no link. The new secret is in the answer
to the POST that made it and nowhere else: not the next page, not the session cookie. On
SQLite and PostgreSQL; results are read back from the database, never assumed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from moderation.core.credentials import MODERATOR
from moderation.notify.webhooks import sealer
from moderation.store.database import session
from moderation.store.models import AuditEntry
from moderation.store.outbox_models import Webhook

from helpers import add_moderator, assert_nothing_runs, csrf_from, logged_in, make_app, parse, text_of

PAGE = "/moderate/webhooks"
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")
NASTY = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.fixture
def site(database_url: str) -> Flask:
    """An app whose webhooks may go to 127.0.0.1, with admin `mod`."""
    app = make_app(database_url, WEBHOOKS_ALLOW_PRIVATE=True)
    add_moderator(app)
    return app


def post(client: Any, path: str, data: dict[str, Any]) -> Any:
    """POST a form of the webhooks page with its CSRF token."""
    return client.post(path, data={"csrf_token": csrf_from(client, PAGE), **data})


def stored(app: Flask) -> list[Webhook]:
    """Every webhook in the database."""
    with app.app_context():
        return list(session().scalars(select(Webhook).order_by(Webhook.id)))


def audit(app: Flask) -> list[tuple[str, str]]:
    """(moderator name, action) of every audit entry, oldest first."""
    with app.app_context():
        return [(e.moderator_name, e.action) for e in session().scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_adding_shows_the_secret_once_and_never_again(site: Flask) -> None:
    client = logged_in(site)
    made = post(client, PAGE, {"url": "http://127.0.0.1:9/hook", "events": ["comment.created", "comment.spam"]})
    assert made.status_code == 201
    [secret] = SECRET.findall(text_of(assert_nothing_runs(made).find(".//main")))
    [webhook] = stored(site)
    assert (webhook.url, webhook.events) == ("http://127.0.0.1:9/hook", "comment.created,comment.spam")
    assert sealer(site).open(webhook.secret_sealed, webhook.secret_key_id) == secret
    later = client.get(PAGE)
    assert "http://127.0.0.1:9/hook" in later.get_data(as_text=True)
    assert not SECRET.search(later.get_data(as_text=True))
    cookie = client.get_cookie("moderation_session", path="/moderate/")
    decoded = str(site.session_interface.get_signing_serializer(site).loads(cookie.value))
    assert secret not in decoded and secret[6:20] not in decoded
    assert audit(site) == [("mod", "webhook_added")]


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"url": "ftp://example.org/", "events": ["comment.created"]}, "url", "http:// or https://"),
    ({"url": "", "events": ["comment.created"]}, "url", "is required"),
    ({"url": "https://example.org/" + "a" * 2000, "events": ["comment.created"]}, "url", "at most 2000"),
    ({"url": "http://127.0.0.1/hook"}, "events", "none chosen"),
    ({"url": "http://127.0.0.1/hook", "events": ["comment.burned"]}, "events", "unknown event comment.burned"),
])
def test_bad_input_is_422_naming_the_field(site: Flask, form: dict[str, Any], field: str, message: str) -> None:
    response = post(logged_in(site), PAGE, form)
    assert response.status_code == 422
    alert = parse(response).find(f".//p[@id='{field}-error']")
    assert alert is not None and message in text_of(alert)
    assert parse(response).find(".//input[@id='url']").get("value") == form["url"]
    assert stored(site) == [] and audit(site) == []


def test_a_private_address_is_refused_without_the_setting(database_url: str) -> None:
    app = make_app(database_url)
    add_moderator(app)
    response = post(logged_in(app), PAGE, {"url": "http://127.0.0.1/hook", "events": ["comment.created"]})
    assert response.status_code == 422
    assert "loopback address" in text_of(parse(response).find(".//p[@id='url-error']"))
    assert stored(app) == []


def test_removing_asks_first_then_removes_and_audits(site: Flask) -> None:
    client = logged_in(site)
    post(client, PAGE, {"url": "http://127.0.0.1/hook", "events": ["comment.created"]})
    [webhook] = stored(site)
    asked = post(client, f"{PAGE}/{webhook.id}/remove", {})
    assert asked.status_code == 200 and "Remove webhook" in text_of(parse(asked).find(".//h1"))
    assert len(stored(site)) == 1
    done = post(client, f"{PAGE}/{webhook.id}/remove", {"confirm": "yes"})
    assert done.status_code == 303 and stored(site) == []
    assert "Removed webhook" in text_of(parse(client.get(PAGE)).find(".//main"))
    assert audit(site) == [("mod", "webhook_added"), ("mod", "webhook_removed")]
    assert post(client, f"{PAGE}/{webhook.id}/remove", {"confirm": "yes"}).status_code == 404


def test_every_form_needs_its_csrf_token(site: Flask) -> None:
    client = logged_in(site)
    post(client, PAGE, {"url": "http://127.0.0.1/hook", "events": ["comment.created"]})
    [webhook] = stored(site)
    for path, data in ((PAGE, {"url": "http://127.0.0.1/other", "events": "comment.created"}),
                       (f"{PAGE}/{webhook.id}/remove", {"confirm": "yes"})):
        assert client.post(path, data=data).status_code == 400
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
    assert [w.url for w in stored(site)] == ["http://127.0.0.1/hook"]


def test_a_moderator_gets_403_on_every_route_and_no_link(site: Flask) -> None:
    admin = logged_in(site)
    post(admin, PAGE, {"url": "http://127.0.0.1/hook", "events": ["comment.created"]})
    [webhook] = stored(site)
    assert "Webhooks" in text_of(parse(admin.get("/moderate/")).find(".//nav"))
    add_moderator(site, "helper", "helper's password", role=MODERATOR)
    client = logged_in(site, "helper", "helper's password")
    assert "Webhooks" not in text_of(parse(client.get("/moderate/")).find(".//nav"))
    csrf = csrf_from(client, "/moderate/")
    routes = [rule for rule in site.url_map.iter_rules() if rule.endpoint.startswith("webhooks.")]
    assert len(routes) == 3
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"csrf_token": csrf, "url": "http://127.0.0.1/x",
                                   "events": "comment.created"}).status_code == 403
    assert client.post(f"{PAGE}/{webhook.id}/remove", data={"csrf_token": csrf, "confirm": "yes"}).status_code == 403
    assert [w.url for w in stored(site)] == ["http://127.0.0.1/hook"]
    assert site.test_client().get(PAGE).status_code == 303  # nobody logged in: off to log in


def test_what_was_typed_and_stored_is_escaped(site: Flask) -> None:
    client = logged_in(site)
    refused = post(client, PAGE, {"url": NASTY, "events": [NASTY]})
    assert refused.status_code == 422
    page = assert_nothing_runs(refused)
    assert page.find(".//input[@id='url']").get("value") == NASTY
    assert "<script>" in text_of(page.find(".//p[@id='events-error']"))
    odd = "http://127.0.0.1/x?q='onmouseover=alert(1)//&r=javascript:alert(2)"
    made = post(client, PAGE, {"url": odd, "events": ["comment.created"]})
    assert made.status_code == 201
    [webhook] = stored(site)
    for response in (made, client.get(PAGE), post(client, f"{PAGE}/{webhook.id}/remove", {}),
                     client.get("/moderate/audit")):
        assert odd in text_of(assert_nothing_runs(response).find(".//main"))
