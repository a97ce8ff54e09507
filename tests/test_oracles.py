"""A stranger learns nothing of who wrote what: no email oracle in duplicates, avatars,
ETags or threads, and a secret-key rotation keeps every email-keyed rule working."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from moderation import create_app
from moderation.settings import SettingsError
from moderation.store.database import writing
from moderation.store.models import Comment

from helpers import TEST_SECRET, add_moderator, approved, comment, log_in, make_app, moderate

ANN = "ann.regular@example.org"
ANN_ADDRESS, STRANGER = "192.0.2.10", "198.51.100.66"
ANN_TEXT = "I have read this blog for years; this is my best comment."


def post(client, address: str, article: str = "12345", **fields: object):  # type: ignore[no-untyped-def]
    """A submission from a client address."""
    return client.post(f"/api/v1/articles/{article}/comments", json=comment(**fields),
                       environ_base={"REMOTE_ADDR": address})


def form_token(client, article: str = "12345") -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/form-token?article={article}").json["form_token"]


def published(client, article: str = "12345") -> list[dict]:  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/articles/{article}/comments").json["comments"]


@pytest.fixture
def ann(client, token) -> dict:  # type: ignore[no-untyped-def]
    """A regular whose approved comment is public; her commenter key and comment id."""
    response = post(client, ANN_ADDRESS, email=ANN, body=ANN_TEXT)
    assert moderate(client, token, response.json["id"], "approve").status_code == 200
    return {"key": response.json["commenter_key"], "id": response.json["id"]}


def shape(response) -> tuple[int, list[str], str | None]:  # type: ignore[no-untyped-def]
    """What a response tells: its status, its fields, and its status word."""
    return response.status_code, sorted(response.json), response.json.get("status")


@pytest.mark.parametrize("honeypot", [None, "http://buy.example"])
def test_a_guessed_email_gets_the_same_answer_as_a_wrong_one(client, ann, honeypot) -> None:  # type: ignore[no-untyped-def]
    extra = {"hp": honeypot} if honeypot else {}
    right = post(client, STRANGER, email=ANN, body=ANN_TEXT, **extra)
    wrong = post(client, "203.0.113.9", email="someone.else@example.org", body=ANN_TEXT, **extra)
    assert shape(right) == shape(wrong) == (202, ["avatar", "commenter_key", "id", "message", "status"], "pending")
    assert ann["id"] not in (right.json["id"], wrong.json["id"])  # a fresh id, never the existing comment's
    assert right.json["avatar"] not in {c["author"]["avatar"] for c in published(client)}  # not her picture
    assert right.json["id"] < wrong.json["id"]


def test_a_duplicate_needs_proof_of_the_same_author(client, ann, app) -> None:  # type: ignore[no-untyped-def]
    by_key = post(client, STRANGER, email=ANN, body=ANN_TEXT, commenter_key=ann["key"])
    by_address = post(client, ANN_ADDRESS, email="typo@example.org", body=ANN_TEXT)
    assert (by_key.status_code, by_key.json["error"]) == (409, "duplicate")
    assert (by_address.status_code, by_address.json["error"]) == (409, "duplicate")
    with app.app_context(), writing() as db:  # the same address counts only for a short while
        db.execute(update(Comment).values(created_at=datetime.now(timezone.utc) - timedelta(hours=1)))
    assert post(client, ANN_ADDRESS, email=ANN, body=ANN_TEXT).status_code == 202


def test_an_avatar_is_not_drawn_from_the_typed_email_alone(database_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, PREMODERATION="first-time")
    client, token = app.test_client(), add_moderator(app)
    first = post(client, ANN_ADDRESS, email=ANN, body="My first comment here.")
    moderate(client, token, first.json["id"], "approve")
    real = published(client)[0]["author"]["avatar"]
    again = post(client, ANN_ADDRESS, email=ANN, body="Back again.", commenter_key=first.json["commenter_key"])
    assert again.status_code == 201 and again.json["comment"]["author"]["avatar"] == real
    app.config["PREMODERATION"] = "none"
    forged = post(client, STRANGER, email=ANN, body="Pretending.", form_token=form_token(client))
    assert forged.status_code == 201  # shown at once, yet with a picture of its own
    assert forged.json["comment"]["author"]["avatar"] != real
    assert {c["author"]["avatar"] for c in published(client)} == {real, forged.json["comment"]["author"]["avatar"]}


def test_the_etag_is_opaque_and_moves_only_with_the_public_set(client, token) -> None:  # type: ignore[no-untyped-def]
    nothing = client.get("/api/v1/articles/12345/comments").headers["ETag"]
    post(client, STRANGER, body="a bot's spam", hp="x")
    held = post(client, ANN_ADDRESS, body="held for a moderator").json["id"]
    assert client.get("/api/v1/articles/12345/comments").headers["ETag"] == nothing  # submissions tell nothing
    moderate(client, token, held, "approve")
    etag = client.get("/api/v1/articles/12345/comments").headers["ETag"].strip('"')
    assert etag != nothing.strip('"') and not etag.isdigit() and len(etag) == 24


def test_etags_differ_between_articles(client) -> None:  # type: ignore[no-untyped-def]
    etags = {client.get(f"/api/v1/articles/{article}/comments").headers["ETag"] for article in ("a1", "a2")}
    assert len(etags) == 2  # keyed by the article too: one cannot stand in for another


@pytest.mark.parametrize("fate", ["reject", "spam", "delete"])
def test_a_public_reply_never_names_a_parent_that_is_not_public(client, token, fate) -> None:  # type: ignore[no-untyped-def]
    parent = approved(client, token, body="the parent")
    reply = approved(client, token, body="the reply", parent_id=parent)
    before = client.get("/api/v1/articles/12345/comments")
    assert [c["parent_id"] for c in before.json["comments"]] == [None, parent]
    moderate(client, token, parent, fate)
    after = client.get("/api/v1/articles/12345/comments")
    assert [(c["id"], c["parent_id"]) for c in after.json["comments"]] == [(reply, None)]
    assert after.headers["ETag"] != before.headers["ETag"]
    moderate(client, token, parent, "approve") if fate != "delete" else None
    if fate != "delete":  # approved again, the thread is whole again
        assert [c["parent_id"] for c in published(client)] == [None, parent]


@pytest.mark.parametrize("url", ["postgresql+psycopg://comments@db.internal/comments", "mysql://db/comments"])
def test_a_shared_database_needs_a_shared_secret_key(url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("MODERATION_SECRET_KEY", raising=False)
    with pytest.raises(SettingsError, match="MODERATION_SECRET_KEY must be set"):
        create_app({"DATABASE_URL": url})


def test_sqlite_without_a_secret_key_makes_one(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("MODERATION_SECRET_KEY", raising=False)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert len(app.config["SECRET_KEY"]) > 40


def test_rotating_the_secret_key_keeps_blocks_duplicates_and_returning_authors(database_url) -> None:  # type: ignore[no-untyped-def]
    before = make_app(database_url, PREMODERATION="first-time")
    client, token = before.test_client(), add_moderator(before)
    first = post(client, ANN_ADDRESS, email=ANN, body="Approved under the old key.")
    moderate(client, token, first.json["id"], "approve")
    assert before.test_cli_runner().invoke(args=["blocks", "add", "email", "spammer@example.org"]).exit_code == 0
    after = make_app(database_url, PREMODERATION="first-time", SECRET_KEY="a brand new secret",
                     OLD_SECRET_KEYS=TEST_SECRET)
    client = after.test_client()
    key = first.json["commenter_key"]
    assert post(client, STRANGER, email=ANN, body="Approved under the old key.", commenter_key=key).status_code == 409
    returning = post(client, ANN_ADDRESS, email=ANN, body="Still me.", commenter_key=key)
    assert returning.status_code == 201
    assert returning.json["comment"]["author"]["avatar"] == published(client)[0]["author"]["avatar"]
    spammer = post(client, STRANGER, email="Spammer@example.org", body="buy now")
    queue = client.get("/api/v1/moderation/queue?status=spam", headers={"Authorization": f"Bearer {token}"})
    assert [(c["id"], c["reason"]) for c in queue.json["comments"]] == [
        (spammer.json["id"], "spam: blocked email address")]
    assert after.test_cli_runner().invoke(args=["blocks", "remove", "email", "spammer@example.org"]).exit_code == 0
    assert "email" not in after.test_cli_runner().invoke(args=["blocks", "list"]).output


def test_moderators_find_an_email_sealed_before_a_rotation(database_url) -> None:  # type: ignore[no-untyped-def]
    before = make_app(database_url)
    post(before.test_client(), ANN_ADDRESS, email=ANN, body="Written under the old key.")
    after = make_app(database_url, SECRET_KEY="a brand new secret", OLD_SECRET_KEYS=TEST_SECRET)
    add_moderator(after)
    moderator = after.test_client()
    log_in(moderator)
    page = moderator.get("/moderate/", query_string={"q": ANN.upper()}).get_data(as_text=True)
    assert "Written under the old key." in page and ANN in page
