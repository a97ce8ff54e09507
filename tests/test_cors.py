"""Tests for CORS: only the configured origins may call the public API from a browser,
preflight included, and the moderators' token API never answers any origin."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.shared import of

from helpers import comment, make_app

BLOG = "https://blog.example"
ORIGINS = f"{BLOG},http://127.0.0.1:8080,http://[::1]:8080,https://www.shop.example:443"
COMMENTS = "/api/v1/articles/12345/comments"
ACAO = "Access-Control-Allow-Origin"


@pytest.fixture
def build(database_url: str) -> Any:
    """build(**settings) -> a test client of an app with those settings."""
    apps = []

    def start(**settings: Any) -> Any:
        apps.append(make_app(database_url, **{"ALLOWED_ORIGINS": ORIGINS, **settings}))
        return apps[-1].test_client()

    yield start
    for app in apps:
        of(app).engine.dispose()


def preflight(client: Any, path: str, origin: str, method: str = "POST") -> Any:
    """What a browser asks before a cross-origin JSON POST."""
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                         "Access-Control-Request-Headers": "content-type"})


@pytest.mark.parametrize(("origin", "allowed"), [
    (BLOG, True),
    ("http://127.0.0.1:8080", True),
    ("http://[::1]:8080", True),
    ("https://www.shop.example", True),
    ("https://evil.example", False),
    ("http://blog.example", False),
    ("https://blog.example:8443", False),
    ("https://blog.example.evil.example", False),
    ("https://evilblog.example", False),
    ("https://blog.example/", False),
    ("http://127.0.0.1:8081", False),
    ("http://1:8080", False),
    ("null", False),
])
@pytest.mark.parametrize("path", [COMMENTS, "/api/v1/counts"])
def test_preflight_answers_only_allowed_origins(build, origin, allowed, path):
    response = preflight(build(), path, origin, "POST" if path == COMMENTS else "GET")
    assert response.status_code == 200
    if allowed:
        assert response.headers[ACAO] == origin
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert response.headers["Access-Control-Allow-Headers"].lower() == "content-type"
        assert response.headers["Access-Control-Max-Age"] == "7200"
        assert "Access-Control-Allow-Credentials" not in response.headers
    else:
        assert not any(name.startswith("Access-Control-") for name in response.headers.keys())


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", COMMENTS, 200),
    ("GET", "/api/v1/counts?article=12345", 200),
    ("POST", COMMENTS, 202),
])
@pytest.mark.parametrize(("origin", "allowed"), [(BLOG, True), ("https://evil.example", False)])
def test_public_api_answers_allowed_origins_and_varies_by_origin(build, method, path, status, origin, allowed):
    client = build()
    response = client.open(path, method=method, headers={"Origin": origin},
                           json=comment() if method == "POST" else None)
    assert response.status_code == status
    assert response.headers.get(ACAO) == (origin if allowed else None)
    assert "Origin" in response.headers.get("Vary", "")


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/moderation/queue"),
    ("POST", "/api/v1/moderation/comments/1"),
    ("OPTIONS", "/api/v1/moderation/queue"),
    ("OPTIONS", "/api/v1/moderation/comments/1"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/comments"),
    ("GET", "/embed.js"),
    ("GET", "/healthz"),
])
def test_nothing_else_gets_cors_headers_even_for_an_allowed_origin(build, token, method, path):
    headers = {"Origin": BLOG, "Authorization": f"Bearer {token}"}
    if method == "OPTIONS":
        headers.update({"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
    with build().open(path, method=method, headers=headers, json={"action": "approve"} if "comments/1" in path
                      else None) as response:
        assert not any(name.startswith("Access-Control-") for name in response.headers.keys()), path


def test_no_configured_origins_means_no_origin_at_all(build):
    client = build(ALLOWED_ORIGINS="")
    assert ACAO not in preflight(client, COMMENTS, BLOG).headers
    assert ACAO not in client.get(COMMENTS, headers={"Origin": BLOG}).headers


def test_a_configured_default_port_still_matches_what_browsers_send(build):
    client = build(ALLOWED_ORIGINS="https://blog.example:443")
    assert preflight(client, COMMENTS, BLOG).headers[ACAO] == BLOG


@pytest.mark.parametrize(("settings", "body", "status"), [
    ({}, {"name": "", "email": "ann@example.org", "body": "x"}, 422),
    ({"RATELIMIT": "1/minute"}, None, 429),
])
def test_errors_carry_cors_headers_so_the_embed_can_read_them(build, settings, body, status):
    client = build(**settings)
    if status == 429:
        client.post(COMMENTS, json=comment(), headers={"Origin": BLOG})
    response = client.post(COMMENTS, json=body or comment(body="Another."), headers={"Origin": BLOG})
    assert response.status_code == status
    assert response.headers[ACAO] == BLOG
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]


def test_preflights_do_not_use_up_the_rate_limit(build):
    client = build(RATELIMIT="1/minute")
    for _ in range(3):
        assert preflight(client, COMMENTS, BLOG).status_code == 200
    assert client.post(COMMENTS, json=comment(), headers={"Origin": BLOG}).status_code == 202
