"""The password page offers to end the moderator's API tokens too, and says what it did."""

from __future__ import annotations

from typing import Any

from flask import Flask

from helpers import MODERATOR_PASSWORD, csrf_from, parse, text_of

NEW = "a brand new passphrase"


def change(client: Any, **extra: str) -> Any:
    """Post the password page's form with the right current password."""
    form = {"csrf_token": csrf_from(client, "/moderate/password"), "current_password": MODERATOR_PASSWORD,
            "new_password": NEW, "confirm": NEW, **extra}
    return client.post("/moderate/password", data=form, follow_redirects=True)


def works(client: Any, token: str) -> bool:
    """Whether the token API takes the token."""
    return client.get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_page_offers_to_revoke_only_when_there_are_tokens(app: Flask, mod_client: Any, token: str) -> None:
    page = parse(mod_client.get("/moderate/password"))
    label = page.find(".//label[@for='revoke_tokens']")
    assert label is not None and text_of(label).startswith("Also revoke my 1 API token:")
    assert page.find(".//input[@id='revoke_tokens']").get("checked") is None  # never ticked for you
    change(mod_client, revoke_tokens="yes")
    assert "revoke_tokens" not in mod_client.get("/moderate/password").get_data(as_text=True)  # none left


def test_ticked_the_tokens_end_and_the_message_says_so(app: Flask, mod_client: Any, token: str) -> None:
    done = change(mod_client, revoke_tokens="yes")
    assert done.status_code == 200
    assert "and your 1 API token no longer work." in done.get_data(as_text=True)
    assert not works(app.test_client(), token)


def test_unticked_the_tokens_keep_working(app: Flask, mod_client: Any, token: str) -> None:
    done = change(mod_client)
    assert "Any other sessions you had have ended." in done.get_data(as_text=True)
    assert works(app.test_client(), token)


def test_a_refused_change_revokes_nothing_and_keeps_the_box_as_ticked(app: Flask, mod_client: Any,
                                                                      token: str) -> None:
    form = {"csrf_token": csrf_from(mod_client, "/moderate/password"), "current_password": "wrong",
            "new_password": NEW, "confirm": NEW, "revoke_tokens": "yes"}
    refused = mod_client.post("/moderate/password", data=form)
    assert refused.status_code == 422
    assert parse(refused).find(".//input[@id='revoke_tokens']").get("checked") is not None
    assert works(app.test_client(), token)
