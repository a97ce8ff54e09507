"""The public API and the moderation token API, point by point against the contract."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import event, update

from moderation.shared import of
from moderation.store.database import writing
from moderation.store.models import Article

from helpers import TEST_SECRET, add_moderator, approved, comment, make_app, moderate, submit

AUTH = "Authorization"


def bearer(token: str) -> dict[str, str]:
    return {AUTH: f"Bearer {token}"}


def test_submission_is_accepted_and_pending(client) -> None:  # type: ignore[no-untyped-def]
    response = submit(client)
    assert response.status_code == 202
    assert response.json == {"id": response.json["id"], "status": "pending",
                             "message": "Your comment is awaiting moderation.",
                             "commenter_key": response.json["commenter_key"], "avatar": response.json["avatar"]}
    assert response.json["commenter_key"].startswith("ck_")
    assert "ann@example.org" not in response.get_data(as_text=True)


def test_a_pending_comment_is_told_the_avatar_it_will_have_and_no_one_elses(client, token) -> None:  # type: ignore[no-untyped-def]
    mine = submit(client, email="ann@example.org")
    assert moderate(client, token, mine.json["id"], "approve").status_code == 200
    public = client.get("/api/v1/articles/12345/comments").json["comments"][0]["author"]["avatar"]
    assert mine.json["avatar"] == public and re.fullmatch(r"/avatars/[0-9a-f]{16}\.svg", public)
    again = submit(client, body="Another, with my key", commenter_key=mine.json["commenter_key"])
    assert again.json["avatar"] == public  # proven by the commenter key: the same picture
    stranger = submit(client, body="Typing Ann's address", email="ann@example.org")
    assert stranger.json["avatar"] != public  # without the key, her address draws another picture


@pytest.mark.parametrize("data, content_type, status, code", [
    ('{"name": "x"', "application/json", 400, "invalid_json"),
    ("[1, 2]", "application/json", 400, "invalid_json"),
    ('"text"', "application/json", 400, "invalid_json"),
    ("", "application/json", 400, "invalid_json"),
    ("name=Ann", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("<xml/>", "text/xml", 415, "unsupported_media_type"),
])
def test_bodies_that_are_not_json_objects(client, data, content_type, status, code) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/articles/1/comments", data=data, content_type=content_type)
    assert (response.status_code, response.json["error"]) == (status, code)
    assert response.json["message"]


def test_too_large(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/articles/1/comments", json=comment(body="x" * 70000))
    assert response.status_code == 413
    assert response.json["error"] == "too_large"


def test_every_invalid_field_at_once(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/articles/1/comments",
                           json={"name": "", "email": "x", "website": "ftp://x.org", "body": " "})
    assert response.status_code == 422
    assert response.json["error"] == "validation_failed"
    assert set(response.json["fields"]) == {"name", "email", "website", "body"}


@pytest.mark.parametrize("article", ["-x", "a" * 129, "has%20space", "a/b", "%C3%BC", "x;y", ".x"])
def test_invalid_article_ids(client, article: str) -> None:  # type: ignore[no-untyped-def]
    for response in (client.post(f"/api/v1/articles/{article}/comments", json=comment()),
                     client.get(f"/api/v1/articles/{article}/comments")):
        assert response.status_code == 400
        assert response.json["error"] == "invalid_article_id"


def test_duplicate(client) -> None:  # type: ignore[no-untyped-def]
    assert submit(client, body="Same words").status_code == 202
    response = submit(client, body="  Same words ", email="ANN@example.org")
    assert (response.status_code, response.json["error"]) == (409, "duplicate")
    elsewhere = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    assert client.post("/api/v1/articles/12345/comments", json=comment(body="Same words"), **elsewhere).status_code == 202
    assert submit(client, "other", body="Same words").status_code == 202


def test_honeypot_gets_the_same_answer_and_is_stored_as_spam(client, token) -> None:  # type: ignore[no-untyped-def]
    response = submit(client, hp="http://buy.example")
    assert response.status_code == 202
    assert response.json["status"] == "pending"
    assert submit(client, hp="http://buy.example").status_code == 409  # a resubmission, as from anyone
    again = submit(client, hp="http://buy.example", body="Another pitch")
    assert again.status_code == 202 and again.json["id"] > response.json["id"]  # a fresh id, never an old one
    spam = client.get("/api/v1/moderation/queue?status=spam", headers=bearer(token)).json["comments"]
    pending = client.get("/api/v1/moderation/queue", headers=bearer(token)).json["comments"]
    assert [c["id"] for c in spam] == [response.json["id"], again.json["id"]]
    assert pending == []


def test_replies_need_an_approved_parent_on_the_same_article(client, token) -> None:  # type: ignore[no-untyped-def]
    parent = approved(client, token)
    pending = submit(client, body="not yet approved").json["id"]
    elsewhere = approved(client, token, "other-article", body="elsewhere")
    assert submit(client, body="a reply", parent_id=parent).status_code == 202
    for bad in (pending, elsewhere, 999999):
        response = submit(client, body=f"reply to {bad}", parent_id=bad)
        assert response.status_code == 422
        assert set(response.json["fields"]) == {"parent_id"}


def test_closed_articles_refuse_comments(app, client) -> None:  # type: ignore[no-untyped-def]
    assert submit(client).status_code == 202
    with app.app_context(), writing() as db:
        db.execute(update(Article).where(Article.id == "12345").values(closed=True))
    response = submit(client, body="too late")
    assert (response.status_code, response.json["error"]) == (403, "comments_closed")


def test_only_approved_comments_are_public_oldest_first(client, token) -> None:  # type: ignore[no-untyped-def]
    first = approved(client, token, body="first")
    submit(client, body="waiting")
    rejected = submit(client, body="rejected").json["id"]
    moderate(client, token, rejected, "reject")
    second = approved(client, token, body="second")
    page = client.get("/api/v1/articles/12345/comments").json
    assert [c["id"] for c in page["comments"]] == [first, second]
    assert page["count"] == 2 and page["next"] is None and page["article_id"] == "12345"
    shown = page["comments"][0]
    assert set(shown) == {"id", "parent_id", "author", "html", "created_at"}
    assert set(shown["author"]) == {"name", "website", "avatar"}
    assert shown["html"] == "<p>first</p>"
    assert shown["created_at"].endswith("Z")


def test_empty_article(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/articles/nothing-here/comments")
    assert response.status_code == 200
    assert response.json == {"article_id": "nothing-here", "count": 0, "closed": False, "comments": [], "next": None}


def test_pagination_with_cursor(client, token) -> None:  # type: ignore[no-untyped-def]
    ids = [approved(client, token, body=f"comment {n}") for n in range(5)]
    seen, url = [], "/api/v1/articles/12345/comments?limit=2"
    for _ in range(5):
        page = client.get(url).json
        assert page["count"] == 5
        seen += [c["id"] for c in page["comments"]]
        if page["next"] is None:
            break
        url = f"/api/v1/articles/12345/comments?limit=2&after={page['next']}"
    assert seen == ids


@pytest.mark.parametrize("limit", ["0", "201", "abc", "1.5", "-1", "", "٣"])
def test_bad_limits(client, limit: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/articles/1/comments?limit={limit}")
    assert response.status_code == 422
    assert set(response.json["fields"]) == {"limit"}


def test_cursors_the_service_did_not_issue(client, token) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        approved(client, token, body=f"c{n}")
    cursor = client.get("/api/v1/articles/12345/comments?limit=1").json["next"]
    for bad in ("garbage", cursor[:-2] + "xx", "WzEsMl0"):
        response = client.get(f"/api/v1/articles/12345/comments?after={bad}")
        assert (response.status_code, response.json["error"]) == (400, "invalid_cursor")
    response = client.get(f"/api/v1/articles/another/comments?after={cursor}")
    assert response.status_code == 400  # a cursor belongs to its own article


def test_etag_and_revalidation(client, token) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/articles/12345/comments"
    first = approved(client, token)
    response = client.get(url)
    etag = response.headers["ETag"]
    assert "no-cache" in response.headers["Cache-Control"]
    revalidated = client.get(url, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.headers["ETag"] == etag
    submit(client, body="pending ones do not change the public set")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    etags = {etag}
    second = approved(client, token, body="another")
    for step in (lambda: None, lambda: moderate(client, token, second, "reject"),
                 lambda: moderate(client, token, first, "delete")):
        step()
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200
        etag = response.headers["ETag"]
        assert etag not in etags
        etags.add(etag)
    assert client.get(url).json["count"] == 0


def test_a_get_takes_at_most_two_queries(app, client, token) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        approved(client, token, body=f"c{n}")
    statements: list[str] = []
    event.listen(of(app).engine, "before_cursor_execute",
                 lambda *args: args[2].startswith("BEGIN") or statements.append(args[2]))
    hot = of(app).versions

    def queries() -> int:
        return len(statements) + hot.executions

    url = "/api/v1/articles/12345/comments?limit=2"
    start = queries()
    etag = client.get(url).headers["ETag"]
    cold = queries() - start
    client.get(url)
    warm = queries() - start - cold
    client.get(url, headers={"If-None-Match": etag})
    revalidate = queries() - start - cold - warm
    assert (cold, warm, revalidate) == (2, 1, 1)


def test_weak_etags_revalidate_too(client, token) -> None:  # type: ignore[no-untyped-def]
    approved(client, token)
    etag = client.get("/api/v1/articles/12345/comments").headers["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        assert client.get("/api/v1/articles/12345/comments", headers={"If-None-Match": header}).status_code == 304
    assert client.get("/api/v1/articles/12345/comments", headers={"If-None-Match": '"other"'}).status_code == 200


def test_etags_differ_between_databases(tmp_path) -> None:  # type: ignore[no-untyped-def]
    etags = set()
    for name in ("one", "two"):
        app = make_app(f"sqlite:///{tmp_path}/{name}.sqlite3")
        client = app.test_client()
        approved(client, add_moderator(app))
        etags.add(client.get("/api/v1/articles/12345/comments").headers["ETag"])
        time.sleep(0.002)
    assert len(etags) == 2  # a database made anew never answers 304 to a copy of the old one


def test_a_cursor_past_the_last_comment(client, token) -> None:  # type: ignore[no-untyped-def]
    first, second = approved(client, token, body="one"), approved(client, token, body="two")
    cursor = client.get("/api/v1/articles/12345/comments?limit=1").json["next"]
    moderate(client, token, second, "delete")
    page = client.get(f"/api/v1/articles/12345/comments?limit=1&after={cursor}").json
    assert (page["count"], page["comments"], page["next"]) == (1, [], None)
    assert [c["id"] for c in client.get("/api/v1/articles/12345/comments").json["comments"]] == [first]


def test_counts(client, token) -> None:  # type: ignore[no-untyped-def]
    approved(client, token, "a1")
    approved(client, token, "a1", body="two")
    submit(client, "a2")
    response = client.get("/api/v1/counts?article=a1&article=a2&article=a3")
    assert response.json == {"counts": {"a1": 2, "a2": 0, "a3": 0}}


@pytest.mark.parametrize("query, status", [("", 422), ("&".join(f"article=a{n}" for n in range(101)), 422),
                                           ("article=ok&article=-bad", 400)])
def test_bad_counts(client, query: str, status: int) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"/api/v1/counts?{query}").status_code == status


@pytest.mark.parametrize("headers", [{}, {AUTH: "Bearer nope"}, {AUTH: "Basic bW9kOnB3"}, {AUTH: "Bearer "}])
def test_moderation_needs_a_token(client, headers) -> None:  # type: ignore[no-untyped-def]
    comment_id = submit(client).json["id"]
    for response in (client.get("/api/v1/moderation/queue", headers=headers),
                     client.post(f"/api/v1/moderation/comments/{comment_id}", json={"action": "approve"},
                                 headers=headers)):
        assert (response.status_code, response.json["error"]) == (401, "unauthorized")
    assert client.get("/api/v1/articles/12345/comments").json["count"] == 0


def test_moderation_queue(client, token) -> None:  # type: ignore[no-untyped-def]
    ids = [submit(client, body=f"c{n}", website="ann.example.org").json["id"] for n in range(3)]
    page = client.get("/api/v1/moderation/queue?limit=2", headers=bearer(token)).json
    assert [c["id"] for c in page["comments"]] == ids[:2]
    row = page["comments"][0]
    assert (row["email"], row["status"], row["article_id"], row["body"], row["ip"]) == (
        "ann@example.org", "pending", "12345", "c0", "127.0.0.1")
    assert row["author"]["website"] == "http://ann.example.org"
    rest = client.get(f"/api/v1/moderation/queue?limit=2&after={page['next']}", headers=bearer(token)).json
    assert [c["id"] for c in rest["comments"]] == ids[2:] and rest["next"] is None
    bad = client.get("/api/v1/moderation/queue?status=deleted", headers=bearer(token))
    assert bad.status_code == 422 and set(bad.json["fields"]) == {"status"}


@pytest.mark.parametrize("action, status", [("approve", "approved"), ("reject", "rejected"),
                                            ("spam", "spam"), ("delete", "deleted")])
def test_moderation_actions(client, token, action: str, status: str) -> None:  # type: ignore[no-untyped-def]
    comment_id = submit(client).json["id"]
    response = moderate(client, token, comment_id, action)
    assert response.status_code == 200 and response.json == {"id": comment_id, "status": status}
    listed = {
        s: [c["id"] for c in client.get(f"/api/v1/moderation/queue?status={s}", headers=bearer(token)).json["comments"]]
        for s in ("pending", "approved", "rejected", "spam")}
    assert sum(listed.values(), []) == ([] if action == "delete" else [comment_id])
    assert moderate(client, token, comment_id, "approve").status_code == (404 if action == "delete" else 200)


def test_moderation_errors(client, token) -> None:  # type: ignore[no-untyped-def]
    comment_id = submit(client).json["id"]
    assert moderate(client, token, 999999, "approve").status_code == 404
    assert moderate(client, token, "abc", "approve").status_code == 404  # type: ignore[arg-type]
    assert moderate(client, token, 99999999999999999999, "approve").status_code == 404
    response = moderate(client, token, comment_id, "publish")
    assert response.status_code == 422 and set(response.json["fields"]) == {"action"}


def test_health(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json == {"status": "ok"}


def test_health_when_the_database_is_gone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from moderation import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.sqlite3", "SECRET_KEY": TEST_SECRET})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_avatars(client, token) -> None:  # type: ignore[no-untyped-def]
    key = submit(client).json["commenter_key"]
    assert moderate(client, token, 1, "approve").status_code == 200
    approved(client, token, body="same person", email="ANN@example.org", commenter_key=key)
    approved(client, token, body="someone else", email="bob@example.org")
    avatars = [c["author"]["avatar"] for c in client.get("/api/v1/articles/12345/comments").json["comments"]]
    assert avatars[0] == avatars[1] != avatars[2]
    response = client.get(avatars[0])
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    for bad in ("not-a-digest", "0123456789ABCDEF", "0123456789abcde"):
        assert client.get(f"/avatars/{bad}.svg").status_code == 404


def test_openapi_describes_every_route(app, client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in paths.get(path, {}), f"{method} {path} is not in openapi.json"


def test_public_answers_carry_no_cookie(client, token) -> None:  # type: ignore[no-untyped-def]
    approved(client, token)
    client.set_cookie("moderation_session", "forged-or-stale", path="/")
    for response in (client.get("/api/v1/articles/12345/comments"), submit(client, body="another"),
                     client.get("/api/v1/counts?article=12345"), client.get("/api/v1/form-token")):
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")


# (query, Accept-Encoding): each order and limit, each way of asking for compression, none.
FIRST_PAGES = [("", None), ("?limit=50", "gzip, deflate, br"), ("?order=newest", "gzip"),
               ("?limit=3&order=oldest", "br;q=0.5, gzip"), ("", "identity")]


@pytest.mark.parametrize("origin", [None, "https://blog.example", "https://BLOG.example", "https://evil.example"])
@pytest.mark.parametrize("query, encoding", FIRST_PAGES)
def test_the_revalidation_shortcut_answers_as_the_view_does(database_url, origin, query, encoding) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, ALLOWED_ORIGINS="https://blog.example")
    client = app.test_client()
    approved(client, add_moderator(app))
    url = f"/api/v1/articles/12345/comments{query}"
    headers = {"If-None-Match": client.get(url).headers["ETag"], "X-Request-ID": "req-1",
               **({"Origin": origin} if origin else {}), **({"Accept-Encoding": encoding} if encoding else {})}
    shortcut = app.wsgi_app
    shortcut.wsgi_app, flask_app = _refuse, shortcut.wsgi_app  # Flask must not be asked
    fast = client.get(url, headers=headers)
    app.wsgi_app = flask_app  # and now only Flask answers
    slow = client.get(url, headers=headers)
    assert fast.status_code == slow.status_code == 304
    assert sorted(fast.headers.items()) == sorted(slow.headers.items())


@pytest.mark.parametrize("origin", [None, "https://blog.example", "https://evil.example"])
@pytest.mark.parametrize("query, encoding", [*FIRST_PAGES, ("?limit=2", None), ("?order=newest&limit=2", "br")])
def test_the_shortcut_serves_a_cached_page_as_the_view_does(database_url, origin, query, encoding) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, ALLOWED_ORIGINS="https://blog.example")
    client = app.test_client()
    token = add_moderator(app)
    for body in ("one", "two", "three " * 100):  # over the size worth compressing
        approved(client, token, body=body)
    url = f"/api/v1/articles/12345/comments{query}"
    headers = {"X-Request-ID": "req-2", **({"Origin": origin} if origin else {}),
               **({"Accept-Encoding": encoding} if encoding else {})}
    assert client.get(url).status_code == 200  # rendered by Flask, now in this worker's cache
    shortcut = app.wsgi_app
    shortcut.wsgi_app, flask_app = _refuse, shortcut.wsgi_app  # Flask must not be asked
    fast = client.get(url, headers=headers)
    app.wsgi_app = flask_app
    slow = client.get(url, headers=headers)
    assert fast.status_code == slow.status_code == 200
    assert fast.get_data() == slow.get_data()
    assert sorted(fast.headers.items()) == sorted(slow.headers.items())
    moderate(client, token, 1, "reject")  # a new version is a miss: Flask renders it
    app.wsgi_app, shortcut.wsgi_app = shortcut, _refuse
    with pytest.raises(AssertionError, match="passed"):
        client.get(url)


def _refuse(environ, start_response):  # type: ignore[no-untyped-def]
    raise AssertionError(f"the shortcut passed {environ['PATH_INFO']} to Flask")


@pytest.mark.parametrize("url, headers", [
    ("/api/v1/articles/12345/comments", {"If-None-Match": '"stale"'}),
    ("/api/v1/articles/12345/comments?limit=0", {}),
    ("/api/v1/articles/12345/comments?limit=2&after=bad", {}),
    ("/api/v1/articles/-bad/comments", {}),
])
def test_the_shortcut_leaves_everything_else_to_the_view(client, token, url: str, headers: dict) -> None:  # type: ignore[no-untyped-def]
    approved(client, token)
    etag = client.get("/api/v1/articles/12345/comments").headers["ETag"]
    expected = client.get(url, headers=headers).status_code
    response = client.get(url, headers={"If-None-Match": etag, **headers})
    assert response.status_code == expected != 304
