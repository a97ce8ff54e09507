"""Abuse costs the abuser, not the site: refused work is cheap and counted, tools never
crash on hostile input, a form token serves one comment, and a stranger cannot rewrite
what moderators see."""

from __future__ import annotations

import http.client
import http.server
import json
import logging

import pytest

from moderation.shared import of
from moderation.web.pagecache import PageCache

from helpers import Classifier, LiveServer, add_moderator, approved, comment, log_in, make_app, moderate

DEEP = "[" * 30_000 + "]" * 30_000


def post(client, article: str = "12345", address: str = "192.0.2.10", **fields: object):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/articles/{article}/comments", json=comment(**fields),
                       environ_base={"REMOTE_ADDR": address})


def test_refused_submissions_never_reach_the_paid_check(database_url, classifier) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, SPAM_CHECK_URL=classifier, RATELIMIT="100/minute", FLOOD_SECONDS=0)
    client, token = app.test_client(), add_moderator(app)
    pending = post(client, body="waiting").json["id"]
    for number in range(10):
        assert post(client, body=f"bad parent {number}", parent_id=pending).status_code == 422
        assert post(client, body=f"missing parent {number}", parent_id=999_999).status_code == 422
    assert post(client, body="waiting").status_code == 409
    app.test_cli_runner().invoke(args=["article", "12345", "--close"])
    for number in range(10):
        assert post(client, body=f"closed {number}").status_code == 403
    assert len(Classifier.seen) == 1  # only the one submission that was accepted
    assert moderate(client, token, pending, "approve").status_code == 200


def test_work_done_is_counted_and_refusals_before_it_are_not(database_url, classifier) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, SPAM_CHECK_URL=classifier, RATELIMIT="3/minute", FLOOD_SECONDS=0)
    client = app.test_client()
    for number in range(5):  # field errors cost nothing and count nothing
        assert post(client, body="", name=f"n{number}").status_code == 422
    codes = [post(client, body=f"comment {number}").status_code for number in range(5)]
    assert codes == [202, 202, 202, 429, 429]
    assert len(Classifier.seen) == 3
    limited = post(client, body="and another")
    assert int(limited.headers["Retry-After"]) >= 1 and limited.json["error"] == "rate_limited"


def test_the_spam_checks_url_and_key_stay_out_of_the_log(database_url, classifier, caplog) -> None:  # type: ignore[no-untyped-def]
    Classifier.status = 500
    app = make_app(database_url, SPAM_CHECK_URL=classifier)
    with caplog.at_level(logging.WARNING):
        assert post(app.test_client(), body="checked").status_code == 202
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "spam check failed: HTTP 500" in logged
    assert "SECRET-API-KEY" not in logged and "127.0.0.1" not in logged


@pytest.mark.parametrize("action", [["approve"], {}, 1, None, True])
def test_the_token_api_refuses_an_action_that_is_not_a_word(client, token, action) -> None:  # type: ignore[no-untyped-def]
    comment_id = post(client).json["id"]
    response = client.post(f"/api/v1/moderation/comments/{comment_id}", json={"action": action},
                           headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json["error"]) == (422, "validation_failed")
    assert "action" in response.json["fields"]


def test_the_token_api_shows_a_comment_whose_email_cannot_be_opened(database_url) -> None:  # type: ignore[no-untyped-def]
    before = make_app(database_url)
    post(before.test_client(), body="sealed under a key that will be dropped")
    after = make_app(database_url, SECRET_KEY="another key, the old one forgotten")
    token = add_moderator(after)
    queue = after.test_client().get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"})
    assert queue.status_code == 200
    assert [(c["body"], c["email"]) for c in queue.json["comments"]] == [
        ("sealed under a key that will be dropped", None)]


@pytest.mark.parametrize("path", ["/api/v1/articles/12345/comments", "/api/v1/moderation/comments/1"])
def test_deeply_nested_json_is_invalid_json(client, token, path) -> None:  # type: ignore[no-untyped-def]
    response = client.post(path, data=DEEP, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json["error"]) == (400, "invalid_json")


def test_a_chunked_body_over_the_limit_is_too_large(database_url) -> None:  # type: ignore[no-untyped-def]
    server = LiveServer(make_app(database_url, MAX_REQUEST_BYTES=2000))
    try:
        answers = []
        for size in (1500, 5000):
            body = ('{"name": "Ann", "email": "ann@example.org", "body": "' + "x" * size + '"}').encode()
            connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=10)
            connection.request("POST", "/api/v1/articles/12345/comments", encode_chunked=True,
                               body=iter([body[start:start + 512] for start in range(0, len(body), 512)]),
                               headers={"Content-Type": "application/json"})
            answers.append(connection.getresponse().status)
            connection.close()
    finally:
        server.stop()
    assert answers == [202, 413]


def test_a_form_token_serves_one_submission_on_one_article(database_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, PREMODERATION="none")
    client = app.test_client()
    token = client.get("/api/v1/form-token?article=12345").json["form_token"]
    assert post(client, body="first", form_token=token).status_code == 201
    replayed = post(client, body="second", address="198.51.100.3", form_token=token)
    assert replayed.status_code == 202  # held for a moderator, never refused
    elsewhere = client.get("/api/v1/form-token?article=other").json["form_token"]
    assert post(client, body="third", form_token=elsewhere).status_code == 202
    assert client.get("/api/v1/form-token").status_code == 422
    assert client.get("/api/v1/form-token?article=-bad").json["error"] == "invalid_article_id"


def test_only_a_real_submission_from_the_site_names_the_article(database_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, ALLOWED_ORIGINS="https://blog.example")
    client = app.test_client()
    phishing = {"article_title": "URGENT: moderators must re-login here", "article_url": "https://evil.example/login"}
    post(client, body="spam", hp="x", article_title="Spam title", article_url="https://blog.example/p/1")
    post(client, body="from elsewhere", **phishing)
    post(client, body="no address", article_title="Untrusted title")
    real = {"article_title": "The real post", "article_url": "https://blog.example/p/1"}
    post(client, body="a reader", **real)
    post(client, body="later", article_title="Rewritten", article_url="https://blog.example/p/other")
    moderator = app.test_client()
    add_moderator(app)
    log_in(moderator)
    page = moderator.get("/moderate/").get_data(as_text=True)
    assert "The real post" in page and 'href="https://blog.example/p/1"' in page
    for planted in ("URGENT", "evil.example", "Spam title", "Untrusted title", "Rewritten"):
        assert planted not in page


def test_the_page_cache_is_bounded_in_bytes() -> None:
    cache = PageCache(max_bytes=10_000)
    for number in range(1_000):
        page = cache.get_or_render(number, lambda number=number: bytes(900 + number % 7))
        assert len(page) == 900 + number % 7
        assert cache.size <= 10_000
    assert len(cache) == 11 and cache.get_or_render(999, lambda: b"new") == bytes(900 + 999 % 7)
    assert cache.get_or_render("huge", lambda: bytes(5_000)) and "huge" not in cache._pages  # over its share
    assert PageCache(0).get_or_render("x", lambda: b"page") == b"page" and len(PageCache(0)) == 0


def test_varying_the_limit_cannot_grow_the_cache(database_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, PAGE_CACHE_BYTES=200_000)
    client, token = app.test_client(), add_moderator(app)
    for number in range(40):
        approved(client, token, body=f"comment {number} " + "words " * 400)
    for limit in range(1, 201):
        assert client.get(f"/api/v1/articles/12345/comments?limit={limit}").status_code == 200
    assert of(app).pages.size <= 200_000


def test_no_free_connection_is_a_503_with_retry_after(database_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("moderation.store.database.POOL_TIMEOUT", 0.2)
    app = make_app(database_url, DATABASE_POOL_SIZE=1)
    held = of(app).engine.connect()  # another thread's request, say
    try:
        response = post(app.test_client(), body="waits for a connection")
    finally:
        held.close()
    assert (response.status_code, response.json["error"]) == (503, "unavailable")
    assert response.headers["Retry-After"] == "2"
    assert post(app.test_client(), body="and now there is one").status_code == 202


def test_a_thread_per_request_server_keeps_few_lookup_connections(database_url) -> None:  # type: ignore[no-untyped-def]
    server = LiveServer(make_app(database_url))  # Werkzeug's threaded server: a new thread per request
    try:
        port = int(server.url.rsplit(":", 1)[1])
        for _ in range(60):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/api/v1/articles/12345/comments")
            assert connection.getresponse().status == 200
            connection.close()
    finally:
        server.stop()
    assert of(server.app).versions.opened <= 2  # one at a time here, not one per thread


@pytest.mark.parametrize("field", ["name", "body", "website", "article_title", "form_token"])
def test_a_lone_surrogate_is_a_field_error_not_a_crash(client, field) -> None:  # type: ignore[no-untyped-def]
    data = comment(website="https://ann.example", article_title="Title")
    raw = json.dumps({**data, field: "PLACEHOLDER"}).replace("PLACEHOLDER", "text\\ud800")  # a JSON escape
    response = client.post("/api/v1/articles/12345/comments", data=raw, content_type="application/json")
    assert response.status_code in (202, 422), response.get_data(as_text=True)
    if field != "form_token":
        assert response.status_code == 422 and field in response.json["fields"]


@pytest.mark.parametrize("path", ["/api/v1/articles/a%0Ab/comments", "/api/v1/articles/a%0A/comments"])
def test_a_line_break_in_an_article_id_is_an_invalid_id(client, path) -> None:  # type: ignore[no-untyped-def]
    for method in (client.get, client.post):
        response = method(path, json=comment())
        assert (response.status_code, response.json["error"]) == (400, "invalid_article_id")
