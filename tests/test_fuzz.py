"""Generated bad input: whatever arrives, the answer is the contract's shape, never a 500.

Hypothesis builds JSON bodies, form bodies, article ids and query strings of every kind
(wrong types, huge numbers, control and astral characters, missing fields) and sends
them through the real app on SQLite. Bounded: a few hundred examples per test.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.shared import of

from helpers import make_app

FIELDS = ["name", "email", "website", "body", "parent_id", "article_title", "article_url", "hp",
          "form_token", "commenter_key"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=300),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
SUBMISSIONS = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), JSON_VALUES, max_size=10)
ANY_TEXT = st.text(max_size=200)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def client(tmp_path_factory):  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/fuzz.sqlite3")
    yield app.test_client()
    of(app).engine.dispose()


def assert_contract_error(response) -> None:  # type: ignore[no-untyped-def]
    """Not a 500, and an API error is the JSON envelope."""
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400 and response.request.path.startswith("/api/"):
        body = response.json
        assert isinstance(body["error"], str) and isinstance(body["message"], str)


@FUZZ
@given(body=SUBMISSIONS)
def test_any_json_submission(client, body) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/articles/fuzz/comments", data=json.dumps(body), content_type="application/json")
    assert_contract_error(response)
    assert response.status_code in (201, 202, 400, 403, 409, 422)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_any_bytes_as_json(client, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/articles/fuzz/comments", data=raw, content_type="application/json")
    assert_contract_error(response)


@FUZZ
@given(article=ANY_TEXT, query=st.dictionaries(st.sampled_from(["limit", "after", "x"]), ANY_TEXT, max_size=3))
def test_any_article_id_and_query(client, article: str, query: dict) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/articles/{quote(article, safe='')}/comments?{urlencode(query)}")
    assert_contract_error(response)


@FUZZ
@given(ids=st.lists(ANY_TEXT, max_size=5))
def test_any_counts_query(client, ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/counts?" + urlencode([("article", i) for i in ids]))
    assert_contract_error(response)


@FUZZ
@given(form=st.dictionaries(st.sampled_from(["comment", "author", "email", "url", "comment_post_ID",
                                             "comment_parent", "redirect_to", "form_token"]) | ANY_TEXT,
                            ANY_TEXT, max_size=8))
def test_any_plain_form(client, form: dict) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/comments", data=form)
    assert_contract_error(response)
    assert response.status_code in (303, 400, 403, 409, 422)
