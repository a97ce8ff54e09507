"""The public list's closed state and its newest-first order: what readers are told, and
that no cached page or 304 outlives a change to either."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from moderation.shared import now
from moderation.store import articles
from moderation.store.database import writing
from moderation.store.models import Article

from helpers import add_moderator, approved, make_app, moderate, submit

URL = "/api/v1/articles/12345/comments"


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [c["id"] for c in response.json["comments"]]


def test_closing_and_reopening_is_seen_at_once_through_every_cache(app, client, token) -> None:  # type: ignore[no-untyped-def]
    approved(client, token)
    first = client.get(URL)
    assert first.json["closed"] is False and client.get(URL).json["closed"] is False  # the second one cached
    with app.app_context():
        articles.set_closed("12345", True, now())
    closed = client.get(URL, headers={"If-None-Match": first.headers["ETag"]})
    assert closed.status_code == 200 and closed.json["closed"] is True  # not a 304 of the open page
    assert closed.headers["ETag"] != first.headers["ETag"]
    assert client.get(URL + "?order=newest&limit=5").json["closed"] is True
    with app.app_context():
        articles.set_closed("12345", False, now())
    assert client.get(URL).json["closed"] is False


def test_an_article_without_public_comments_can_be_closed(app, client) -> None:  # type: ignore[no-untyped-def]
    assert submit(client, "quiet").status_code == 202  # pending: nothing public yet
    assert client.get("/api/v1/articles/quiet/comments").json["closed"] is False
    with app.app_context():
        articles.set_closed("quiet", True, now())  # a moderator closes it before any comment is published
    body = client.get("/api/v1/articles/quiet/comments").json
    assert (body["closed"], body["count"], body["comments"]) == (True, 0, [])


def test_an_article_closes_by_itself_after_close_after_days(database_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, CLOSE_AFTER_DAYS=2)
    client = app.test_client()
    token = add_moderator(app)
    approved(client, token)
    opened = now() - timedelta(days=2) + timedelta(hours=1)
    with app.app_context(), writing() as db:
        db.execute(update(Article).where(Article.id == "12345").values(opened_at=opened))
    before = client.get(URL)
    assert before.json["closed"] is False and client.get(URL).json["closed"] is False
    later = now() + timedelta(hours=2)  # nothing in the database changes: only the clock moves
    monkeypatch.setattr("moderation.store.versions.now", lambda: later)
    monkeypatch.setattr("moderation.web.fastpath.now", lambda: later)
    after = client.get(URL, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.json["closed"] is True


def thread(client, token) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Three threads, with replies written in between; a reply to a comment that is not public."""
    made: dict[str, int] = {}
    made["a"] = approved(client, token, body="A")
    made["b"] = approved(client, token, body="B")
    made["a1"] = approved(client, token, body="A1", parent_id=made["a"])
    made["b1"] = approved(client, token, body="B1", parent_id=made["b"])
    made["b1x"] = approved(client, token, body="B1x", parent_id=made["b1"])
    made["c"] = approved(client, token, body="C")
    made["a2"] = approved(client, token, body="A2", parent_id=made["a"])
    return made


def test_newest_first_is_newest_thread_first_with_replies_in_their_order(client, token) -> None:  # type: ignore[no-untyped-def]
    made = thread(client, token)
    newest = client.get(URL + "?order=newest")
    assert ids(newest) == [made[k] for k in ("c", "b", "b1", "b1x", "a", "a1", "a2")]
    assert newest.json["count"] == 7 and newest.json["next"] is None
    assert ids(client.get(URL)) == sorted(made.values())  # the default is unchanged: oldest first
    assert ids(client.get(URL + "?order=oldest")) == sorted(made.values())


@pytest.mark.parametrize("limit", [1, 2, 3, 6])
def test_newest_first_pages_follow_their_own_cursors(client, token, limit) -> None:  # type: ignore[no-untyped-def]
    made = thread(client, token)
    seen, url = [], f"{URL}?order=newest&limit={limit}"
    for _ in range(10):
        page = client.get(url)
        assert page.status_code == 200 and page.json["count"] == 7 and len(ids(page)) <= limit
        seen += ids(page)
        if page.json["next"] is None:
            break
        url = f"{URL}?order=newest&limit={limit}&after={page.json['next']}"
    assert seen == [made[k] for k in ("c", "b", "b1", "b1x", "a", "a1", "a2")]


def test_a_reply_whose_parent_left_public_heads_its_own_thread(client, token) -> None:  # type: ignore[no-untyped-def]
    made = thread(client, token)
    assert moderate(client, token, made["b"], "reject").status_code == 200
    body = client.get(URL + "?order=newest").json
    assert [c["id"] for c in body["comments"]] == [made[k] for k in ("c", "b1", "b1x", "a", "a1", "a2")]
    assert next(c for c in body["comments"] if c["id"] == made["b1"])["parent_id"] is None


def test_a_cursor_belongs_to_its_order(client, token) -> None:  # type: ignore[no-untyped-def]
    thread(client, token)
    oldest_next = client.get(URL + "?limit=2").json["next"]
    newest_next = client.get(URL + "?order=newest&limit=2").json["next"]
    for url in (f"{URL}?order=newest&after={oldest_next}", f"{URL}?after={newest_next}",
                f"{URL}?order=newest&after=bogus"):
        response = client.get(url)
        assert (response.status_code, response.json["error"]) == (400, "invalid_cursor")


@pytest.mark.parametrize("order", ["", "Newest", "random", "newest "])
def test_an_unknown_order_is_a_validation_error(client, order) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{URL}?order={order}")
    assert response.status_code == 422 and set(response.json["fields"]) == {"order"}


@pytest.mark.parametrize("query", ["?order=newest", "?order=newest&limit=3", "?limit=3&order=newest", "?order=oldest"])
def test_first_pages_in_either_order_are_answered_alike_from_the_cache(client, token, query) -> None:  # type: ignore[no-untyped-def]
    thread(client, token)
    rendered, cached = client.get(URL + query), client.get(URL + query)
    assert rendered.get_data() == cached.get_data() and rendered.headers["ETag"] == cached.headers["ETag"]
    assert client.get(URL + query, headers={"If-None-Match": rendered.headers["ETag"]}).status_code == 304
    approved(client, token, body="One more")  # a new approval is a miss in every order
    assert client.get(URL + query).get_data() != rendered.get_data()
