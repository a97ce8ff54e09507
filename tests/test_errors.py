"""One error shape for every route family; unexpected failures are 500 with a request id."""

from __future__ import annotations

import logging

import pytest

from helpers import make_app

ENVELOPE_CASES = [
    ("get", "/api/v1/no/such/route", 404, "not_found"),
    ("delete", "/api/v1/articles/1/comments", 405, "method_not_allowed"),
    ("put", "/api/v1/counts", 405, "method_not_allowed"),
    ("get", "/api/v1/articles/-1/comments", 400, "invalid_article_id"),
    ("get", "/api/v1/articles/1/comments?limit=0", 422, "validation_failed"),
    ("get", "/api/v1/counts", 422, "validation_failed"),
    ("get", "/api/v1/moderation/queue", 401, "unauthorized"),
    ("post", "/api/v1/moderation/comments/1", 401, "unauthorized"),
    ("post", "/api/v1/articles/1/comments", 415, "unsupported_media_type"),
]


@pytest.mark.parametrize("method, path, status, code", ENVELOPE_CASES)
def test_api_errors_use_the_envelope(client, method: str, path: str, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.json
    assert body["error"] == code and isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"error", "message", "fields"}
    assert ("fields" in body) == (code == "validation_failed")


def test_pages_outside_the_api_get_an_html_error(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<!doctype html>" in response.get_data(as_text=True).lower()


def test_unexpected_failures_are_500_with_a_request_id(database_url: str, caplog) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url)

    def explode() -> None:
        raise RuntimeError("kaboom")

    app.add_url_rule("/api/v1/explode", view_func=explode)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/api/v1/explode", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.json["error"] == "internal_error"
    assert "req-42" in response.json["message"]
    assert "kaboom" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert response.headers["X-Request-ID"] == "req-42"
    assert any("req-42" in record.getMessage() and record.exc_info for record in caplog.records)


def test_request_ids_are_made_when_missing_or_unsafe(client) -> None:  # type: ignore[no-untyped-def]
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32
    unsafe = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert unsafe != "<script>" and len(unsafe) == 32
