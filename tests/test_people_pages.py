"""/moderate/people over HTTP: an admin looks an address up, downloads its export, erases it.

Every test runs on SQLite and on PostgreSQL. Only admins get in; the address travels in POST
forms only (never a URL, the session cookie or a flashed message); every POST needs its CSRF
token; what a form did is read back from the database and the audit log.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from moderation.core.credentials import MODERATOR
from moderation.shared import of
from moderation.store.database import session
from moderation.store.models import AuditEntry, Block, Comment
from moderation.web.moderate.sessions import ADMIN_ONLY

from helpers import (
    add_moderator,
    approved,
    assert_nothing_runs,
    csrf_from,
    log_in,
    parse,
    submit,
    text_of,
)

PEOPLE = "/moderate/people"
ADDRESS = "ann@example.org"
HOSTILE_NAME = "<script>alert('name')</script>"
HOSTILE_TITLE = "<img src=x onerror=alert('title')>"


def post(client: Any, path: str = PEOPLE, **form: str) -> Any:
    """POST a form of the people page, CSRF token included, as the page itself would."""
    return client.post(path, data={"csrf_token": csrf_from(client, PEOPLE), **form})


def comments_of(app: Flask) -> list[tuple[int, str, str]]:
    """(id, author name, text) of every comment."""
    with app.app_context():
        return [tuple(row) for row in session().execute(
            select(Comment.id, Comment.author_name, Comment.body_text).order_by(Comment.id))]


def audit(app: Flask, action: str) -> list[tuple[str, str | None, str]]:
    """(moderator, detail, via) of every audit entry of an action."""
    with app.app_context():
        return [(e.moderator_name, e.detail, e.via) for e in session().scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def session_cookie(app: Flask, client: Any) -> str:
    """What the moderator's session cookie holds, decoded."""
    cookie = client.get_cookie("moderation_session", path="/moderate/")
    return str(app.session_interface.get_signing_serializer(app).loads(cookie.value))


@pytest.fixture
def stored(app: Flask, mod_client: Any, token: str) -> dict[str, int]:
    """Ann's approved comment with Bob's reply, her held one, a block of her address; and Bob's own."""
    first = approved(mod_client, token, "post-1", email=ADDRESS, name="Ann", body="Ann's words.")
    reply = approved(mod_client, token, "post-1", email="bob@example.org", name="Bob", body="Bob's reply.",
                     parent_id=first)
    held = submit(mod_client, "post-2", email=ADDRESS, name="Ann R.", body="Ann, held.").json["id"]
    assert app.test_cli_runner().invoke(args=["blocks", "add", "email", ADDRESS, "--note", "troll"]).exit_code == 0
    return {"first": first, "reply": reply, "held": held}


# --- Who may come in -----------------------------------------------------------------------------

def people_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, path) of every route of the people blueprint."""
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("people.")
                  for method in rule.methods or () if method in ("GET", "POST"))


def test_every_view_is_for_admins_only(app: Flask) -> None:
    assert people_routes(app) == [("GET", PEOPLE), ("POST", PEOPLE), ("POST", f"{PEOPLE}/erase"),
                                  ("POST", f"{PEOPLE}/export")]
    views = {name: view for name, view in app.view_functions.items() if name.startswith("people.")}
    assert views and all(getattr(view, ADMIN_ONLY, False) for view in views.values())


def test_a_moderator_gets_403_on_every_route_and_no_link(app: Flask, stored: dict[str, int]) -> None:
    add_moderator(app, "helper", "helper's password", role=MODERATOR)
    client = app.test_client()
    assert log_in(client, "helper", "helper's password").status_code == 303
    assert "People" not in text_of(parse(client.get("/moderate/")).find(".//nav"))
    csrf = csrf_from(client, "/moderate/")
    for method, path in people_routes(app):
        data = {"csrf_token": csrf, "email": ADDRESS, "confirm": "yes"}
        response = client.get(path) if method == "GET" else client.post(path, data=data)
        assert response.status_code == 403, (method, path)
        assert ADDRESS not in response.get_data(as_text=True)
    assert len(comments_of(app)) == 3 and audit(app, "person_exported") == audit(app, "person_erased") == []


def test_nobody_logged_in_is_sent_to_log_in(client: Any) -> None:
    response = client.get(PEOPLE)
    assert response.status_code == 303 and response.headers["Location"].startswith("/moderate/login")


def test_an_admin_finds_the_page_in_the_navigation(mod_client: Any) -> None:
    links = parse(mod_client.get("/moderate/")).findall(".//nav//a")
    assert [link.get("href") for link in links if text_of(link) == "People"] == [PEOPLE]


# --- Looking an address up -----------------------------------------------------------------------

def test_a_look_up_shows_what_is_stored_and_offers_the_export_and_erasure(mod_client: Any,
                                                                          stored: dict[str, int]) -> None:
    page = parse(post(mod_client, email="ANN@example.org"))
    found = text_of(page.find(".//section[@aria-labelledby='found-title']"))
    assert "2 comments and 1 block" in found and "1 comment of theirs has replies" in found
    assert "Ann's words." in found and "Ann, held." in found and "Bob" not in found
    actions = {form.get("action") for form in page.findall(".//form")}
    assert {f"{PEOPLE}/export", f"{PEOPLE}/erase"} <= actions
    assert all(form.get("method") == "post" for form in page.findall(".//main//form"))


def test_an_address_in_the_url_is_not_looked_up(mod_client: Any, stored: dict[str, int]) -> None:
    page = mod_client.get(PEOPLE, query_string={"email": ADDRESS})
    assert page.status_code == 200 and ADDRESS not in page.get_data(as_text=True)


def test_an_address_with_nothing_stored_says_so(mod_client: Any, stored: dict[str, int]) -> None:
    page = parse(post(mod_client, email="nobody@example.org"))
    assert "Nothing is stored about this address" in text_of(page.find(".//main"))
    assert f"{PEOPLE}/erase" not in {form.get("action") for form in page.findall(".//form")}


@pytest.mark.parametrize("path", [PEOPLE, f"{PEOPLE}/export", f"{PEOPLE}/erase"])
def test_a_malformed_address_is_named_and_kept_as_typed(app: Flask, mod_client: Any, stored: dict[str, int],
                                                         path: str) -> None:
    typed = "\"><script>alert('typed')</script>@localhost"
    response = post(mod_client, path, email=typed, confirm="yes")
    assert response.status_code == 422
    page = assert_nothing_runs(response)
    assert text_of(page.find(".//p[@role='alert']")).startswith("Email address: is not a valid email address")
    field = page.find(".//input[@id='email']")
    assert field.get("value") == typed and field.get("aria-invalid") == "true"
    assert page.find(".//label[@for='email']") is not None
    assert len(comments_of(app)) == 3 and audit(app, "person_exported") == audit(app, "person_erased") == []


def test_every_field_has_a_label_and_the_page_fits_a_phone(mod_client: Any, stored: dict[str, int]) -> None:
    confirm = post(mod_client, f"{PEOPLE}/erase", email=ADDRESS)
    for response in (mod_client.get(PEOPLE), post(mod_client, email=ADDRESS), confirm):
        page = parse(response)
        assert page.find(".//h1") is not None and page.find(".//meta[@name='viewport']") is not None
        for field in page.findall(".//main//input"):
            if field.get("type") != "hidden":
                assert page.find(f".//label[@for='{field.get('id')}']") is not None, field.attrib


# --- The export ----------------------------------------------------------------------------------

def test_the_export_downloads_the_commands_document_and_is_audited_as_the_admins(
        app: Flask, mod_client: Any, stored: dict[str, int]) -> None:
    response = post(mod_client, f"{PEOPLE}/export", email=ADDRESS)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="personal-data.json"'
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.get_data(as_text=True))
    command = json.loads(app.test_cli_runner().invoke(args=["person", "export", ADDRESS]).output)
    assert {**document, "exported_at": None} == {**command, "exported_at": None}
    assert [c["id"] for c in document["comments"]] == [stored["first"], stored["held"]]
    assert audit(app, "person_exported") == [("mod", "2 comments and 1 block exported", "web"),
                                             ("command line", "2 comments and 1 block exported", "cli")]


# --- Erasing -------------------------------------------------------------------------------------

def test_erasing_asks_first_then_erases_under_the_admin(app: Flask, mod_client: Any, stored: dict[str, int]) -> None:
    confirm = post(mod_client, f"{PEOPLE}/erase", email=ADDRESS)
    assert confirm.status_code == 200
    page = parse(confirm)
    assert "2 comments and 1 block" in text_of(page.find(".//main"))
    assert page.find(".//input[@name='keep_text']") is not None
    assert len(comments_of(app)) == 3 and audit(app, "person_erased") == []
    done = post(mod_client, f"{PEOPLE}/erase", email=ADDRESS, confirm="yes")
    assert done.status_code == 303 and done.headers["Location"] == PEOPLE
    assert comments_of(app) == [(stored["first"], "Anonymous", "This comment was erased at its author's request."),
                                (stored["reply"], "Bob", "Bob's reply.")]
    with app.app_context():
        assert session().scalars(select(Block)).all() == []
    assert audit(app, "person_erased") == [
        ("mod", "1 comment deleted, 1 kept as Anonymous, text erased, for the replies to it, 1 block lifted, "
                "1 audit entry made neutral", "web")]
    shown = text_of(parse(mod_client.get(PEOPLE)).find(".//div[@id='messages']"))
    assert shown.startswith("Erased: 1 comment deleted") and "no longer blocked" in shown


def test_erasing_may_keep_the_text(app: Flask, mod_client: Any, stored: dict[str, int]) -> None:
    assert post(mod_client, f"{PEOPLE}/erase", email=ADDRESS, confirm="yes", keep_text="yes").status_code == 303
    assert comments_of(app) == [(stored["first"], "Anonymous", "Ann's words."), (stored["reply"], "Bob", "Bob's reply."),
                                (stored["held"], "Anonymous", "Ann, held.")]


def test_the_address_never_reaches_the_session_cookie(app: Flask, mod_client: Any, stored: dict[str, int]) -> None:
    post(mod_client, email=ADDRESS)
    post(mod_client, f"{PEOPLE}/erase", email=ADDRESS)
    assert post(mod_client, f"{PEOPLE}/erase", email=ADDRESS, confirm="yes").status_code == 303
    cookie = session_cookie(app, mod_client)
    assert "_flashes" in cookie and ADDRESS not in cookie.lower()
    assert all(ADDRESS not in (detail or "") for action in ("person_erased", "blocked")
               for _, detail, _ in audit(app, action))


@pytest.mark.parametrize("path", [PEOPLE, f"{PEOPLE}/export", f"{PEOPLE}/erase"])
def test_a_post_without_the_csrf_token_changes_nothing(app: Flask, mod_client: Any, stored: dict[str, int],
                                                       path: str) -> None:
    response = mod_client.post(path, data={"email": ADDRESS, "confirm": "yes"})
    assert response.status_code == 400
    assert parse(response).find(".//code").text == "csrf_failed"
    assert len(comments_of(app)) == 3 and audit(app, "person_exported") == audit(app, "person_erased") == []


def test_a_post_from_another_site_changes_nothing(app: Flask, mod_client: Any, stored: dict[str, int]) -> None:
    response = mod_client.post(f"{PEOPLE}/erase", data={"csrf_token": csrf_from(mod_client, PEOPLE),
                                                        "email": ADDRESS, "confirm": "yes"},
                               headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert len(comments_of(app)) == 3


def test_html_in_names_and_titles_shows_up_escaped(app: Flask, mod_client: Any, token: str) -> None:
    approved(mod_client, token, "post-1", email=ADDRESS, name=HOSTILE_NAME, body=HOSTILE_TITLE,
             article_title=HOSTILE_TITLE)
    pages = {"look-up": post(mod_client, email=ADDRESS), "confirm": post(mod_client, f"{PEOPLE}/erase", email=ADDRESS)}
    for name, response in pages.items():
        shown = text_of(assert_nothing_runs(response))
        assert HOSTILE_NAME in shown and HOSTILE_TITLE in shown, name
    assert len(comments_of(app)) == 1
    with app.app_context():
        assert of(app).vault.digest(ADDRESS) in session().scalars(select(Comment.email_digest)).all()
