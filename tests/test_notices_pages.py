"""Moderators' notices: `create-moderator --email`, one's own /moderate/notices, an admin's form on
the Team page, and /moderate/deliveries (admins; recipients by name, never an address).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from moderation.core.notices import check_notices
from moderation.errors import ValidationFailed
from moderation.notify.worker import Worker
from moderation.store.database import session
from moderation.store.models import AuditEntry, Moderator

from helpers import add_moderator, csrf_from, log_in, make_app, submit, text_of, parse


def notices_of(app: Flask, name: str) -> tuple[str | None, str]:
    """A moderator's (email, notify)."""
    with app.app_context():
        moderator = session().scalars(select(Moderator).where(Moderator.name == name)).one()
        return moderator.email, moderator.notify


@pytest.mark.parametrize(("email", "choice", "expected"), [
    ("", "each", (None, "each")),
    ("  Mod@News.Example ", "digest", ("Mod@news.example", "digest")),
    ("mod@news.example", "none", ("mod@news.example", "none")),
])
def test_notices_are_checked_and_normalized(email: str, choice: str, expected: tuple[str | None, str]) -> None:
    assert check_notices(email, choice) == expected


def test_a_bad_address_and_choice_are_both_named() -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_notices("not an address", "hourly")
    assert set(refused.value.fields or {}) == {"email", "notify"}


def test_create_moderator_takes_an_email(app: Flask, runner: Any) -> None:
    made = runner.invoke(args=["create-moderator", "ann", "--email", "ann@news.example", "--password-stdin"],
                         input="a long password\n")
    assert made.exit_code == 0, made.output
    assert notices_of(app, "ann") == ("ann@news.example", "each")
    bad = runner.invoke(args=["create-moderator", "bob", "--email", "bob@", "--password-stdin"],
                        input="a long password\n")
    assert bad.exit_code == 2 and "--email" in bad.output
    with app.app_context():
        assert session().scalars(select(Moderator).where(Moderator.name == "bob")).first() is None


def test_a_moderator_sets_their_own_notices(app: Flask, mod_client: Any) -> None:
    page = mod_client.get("/moderate/notices")
    assert page.status_code == 200 and [i.get("value") for i in parse(page).iter("input")
                                        if i.get("type") == "radio"] == ["each", "digest", "none"]
    token = csrf_from(mod_client, "/moderate/notices")
    bad = mod_client.post("/moderate/notices", data={"csrf_token": token, "email": "nope", "notify": "digest"})
    assert bad.status_code == 422 and "nope" in bad.get_data(as_text=True)
    assert notices_of(app, "mod") == (None, "each")
    done = mod_client.post("/moderate/notices", data={"csrf_token": token, "email": "me@news.example",
                                                      "notify": "digest"})
    assert done.status_code == 303
    assert notices_of(app, "mod") == ("me@news.example", "digest")
    with app.app_context():
        entry = session().scalars(select(AuditEntry).where(AuditEntry.action == "notices_changed")).one()
        assert "me@news.example" not in (entry.detail or "")
    assert mod_client.post("/moderate/notices", data={"email": "x@news.example", "notify": "none"}).status_code == 400


def test_an_admin_sets_a_moderators_notices_on_the_team_page(app: Flask, mod_client: Any) -> None:
    add_moderator(app, "molly", role="moderator")
    with app.app_context():
        molly = session().scalar(select(Moderator.id).where(Moderator.name == "molly"))
    token = csrf_from(mod_client, "/moderate/team")
    answer = mod_client.post(f"/moderate/team/moderators/{molly}/notices",
                             data={"csrf_token": token, "email": "molly@news.example", "notify": "none"})
    assert answer.status_code == 303 and answer.location.endswith(f"#member-{molly}")
    assert notices_of(app, "molly") == ("molly@news.example", "none")
    molly_client = app.test_client()
    log_in(molly_client, "molly")
    forbidden = molly_client.post(f"/moderate/team/moderators/{molly}/notices",
                                  data={"csrf_token": csrf_from(molly_client, "/moderate/notices"),
                                        "email": "", "notify": "each"})
    assert forbidden.status_code == 403


def test_the_deliveries_page_names_recipients_never_their_address(database_url: str) -> None:
    app = make_app(database_url, SMTP_URL="smtp://127.0.0.1:9", MAIL_FROM="c@news.example",
                   PUBLIC_URL="https://comments.news.example")
    add_moderator(app, "mod")
    add_moderator(app, "molly", role="moderator")
    client = app.test_client()
    log_in(client)
    client.post("/moderate/notices", data={"csrf_token": csrf_from(client, "/moderate/notices"),
                                           "email": "secret.mod@news.example", "notify": "each"})
    submit(client, email="reader.secret@example.org")
    Worker(app).run_once()  # port 9 refuses: the delivery waits with its error
    page = client.get("/moderate/deliveries")
    assert page.status_code == 200
    text = text_of(parse(page).find(".//table"))
    assert "moderator mod" in text and "pending" in text and "cannot connect" in text
    assert "secret" not in page.get_data(as_text=True)
    molly = app.test_client()
    log_in(molly, "molly")
    assert molly.get("/moderate/deliveries").status_code == 403
