"""One decision for JSON or HTML errors: the API, and any request that asks for JSON first
(the moderators' script does), get the envelope; forms and links get the HTML error page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def csrf(client: FlaskClient) -> str:
    """The CSRF token of the logged-in moderator's queue page."""
    page = client.get("/moderate/").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


# (method, path, form, status, code): moderator requests that fail
FAILURES = [
    ("post", "/moderate/bulk", {"action": "approve", "ids": "x"}, 422, "validation_failed"),
    ("post", "/moderate/bulk", {"action": "publish", "ids": "1"}, 422, "validation_failed"),
    ("post", "/moderate/comments/99/edit", {"body": "New text"}, 404, "not_found"),
    ("post", "/moderate/articles/nowhere/close", {}, 404, "not_found"),
    ("get", "/moderate/?status=everything", None, 422, "validation_failed"),
]


@pytest.mark.parametrize("accept", [JSON, HTML], ids=["script", "browser"])
@pytest.mark.parametrize(("method", "path", "form", "status", "code"), FAILURES, ids=[f[1] for f in FAILURES])
def test_a_refusal_comes_as_the_request_asks(mod_client: FlaskClient, accept: dict[str, str], method: str, path: str,
                                             form: dict[str, Any] | None, status: int, code: str) -> None:
    data = {"csrf_token": csrf(mod_client), **form} if form is not None else None
    response = getattr(mod_client, method)(path, data=data, headers=accept)
    assert response.status_code == status
    if accept is JSON:  # the moderators' script: the contract's envelope
        assert response.mimetype == "application/json"
        assert response.json["error"] == code and response.json["message"]
        assert set(response.json) <= {"error", "message", "fields"}
    else:  # a form or a link: the HTML error page
        assert response.mimetype == "text/html"
        assert "<!doctype html>" in response.get_data(as_text=True).lower()


def test_a_stale_form_tells_the_script_in_json(mod_client: FlaskClient) -> None:
    response = mod_client.post("/moderate/bulk", data={"action": "approve", "ids": "1", "csrf_token": "stale"},
                               headers=JSON)
    assert response.status_code == 400
    assert response.json["error"] == "csrf_failed" and "reload the page" in response.json["message"]


def test_a_logged_out_script_gets_the_envelope(client: FlaskClient) -> None:
    response = client.get("/moderate/", headers=JSON)
    assert response.status_code == 401 and response.json["error"] == "logged_out"


def test_the_api_answers_json_even_to_a_browser(client: FlaskClient) -> None:
    response = client.get("/api/v1/no/such/route", headers=HTML)
    assert response.status_code == 404 and response.mimetype == "application/json"
