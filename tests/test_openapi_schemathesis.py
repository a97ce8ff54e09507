"""Schemathesis, with every check, against the OpenAPI document the service serves.

It reads /api/v1/openapi.json from the app served over HTTP, on SQLite and on PostgreSQL,
and runs every phase `st run --checks all` runs (examples, coverage, fuzzing, stateful):
requests valid by the document must be accepted, invalid ones refused, and every answer
must match the document (status, headers, body). Seeded and bounded, so it is repeatable.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from urllib.parse import quote
from urllib.request import urlopen

import jsonschema_rs
import pytest
import schemathesis
from flask import Flask
from schemathesis import Case, CheckContext, Response, engine
from schemathesis.engine import events
from werkzeug.serving import make_server

from moderation.core.submissions import parse_submission
from moderation.errors import ValidationFailed
from moderation.web.openapi import document

from helpers import add_moderator, comment, make_app, moderate, submit

SEED = 20261130
MAX_EXAMPLES = 40  # per operation and phase; the coverage phase adds its boundary cases
ARTICLE = "12345"

# Requests valid by the document yet refused on purpose, for what no schema can state: a
# cursor this service did not sign, a parent that is not an approved comment of the article.
# positive_data_acceptance lets exactly these statuses through on exactly these operations,
# and `state_dependent_refusals` below checks that each such refusal is one of those.
STATE_DEPENDENT = {"listComments": 400, "commentsFragment": 400, "moderationQueue": 400, "submitComment": 422}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis' default


def _config(token: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "workers": 1,
        "generation": {"deterministic": True, "max-examples": MAX_EXAMPLES, "database": "none"},
        "auth": {"openapi": {"bearer": {"bearer": token}}},
        "operations": [
            {"include-operation-id": operation,
             "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, str(status)]}}}
            for operation, status in STATE_DEPENDENT.items()],
    })


@schemathesis.check
def state_dependent_refusals(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A valid request refused with a STATE_DEPENDENT status was refused for its cursor or its parent."""
    operation = case.operation.definition.raw.get("operationId")
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if STATE_DEPENDENT.get(operation) != response.status_code:
        return None
    if response.status_code == 400:
        assert (case.query or {}).get("after"), response.text
        # The fragment's errors come as the request asks (JSON or HTML); the JSON ones say why.
        if "json" in response.headers.get("content-type", [""])[0]:
            assert response.json()["error"] == "invalid_cursor", response.text
        else:
            assert "cursor" in response.text, response.text
        return True
    error = response.json()
    assert error["error"] == "validation_failed" and set(error["fields"]) == {"parent_id"}, error
    parent = case.body["parent_id"]
    assert parent is not None and parent not in _approved_ids(case.operation.schema.get_base_url(), case), parent
    return True


def _approved_ids(base_url: str, case: Case) -> set[int]:
    """The approved comments of the article a request named (the first 200: the test makes few)."""
    article = quote(case.path_parameters["article_id"], safe="")
    with urlopen(f"{base_url}/api/v1/articles/{article}/comments?limit=200", timeout=10) as answer:
        return {comment["id"] for comment in json.load(answer)["comments"]}


def _seed(app: Flask, token: str) -> None:
    """Comments in every state, and a reply, so lists, counts and the queue have something to show."""
    client = app.test_client()
    ids = [submit(client, ARTICLE, body=f"Comment {n}", email=f"reader{n}@example.org").json["id"]
           for n in range(6)]
    for comment_id, action in zip(ids, ["approve", "approve", "approve", "reject", "spam"]):
        assert moderate(client, token, comment_id, action).status_code == 200
    reply = submit(client, ARTICLE, body="A reply", parent_id=ids[0])
    assert moderate(client, token, reply.json["id"], "approve").status_code == 200


@pytest.fixture
def api_schema(database_url: str) -> Iterator[schemathesis.BaseSchema]:
    """The served document, loaded by schemathesis over HTTP from an app with data, rate limits off."""
    app = make_app(database_url, RATELIMIT="0")
    token = add_moderator(app)
    _seed(app, token)
    # Over HTTP: schemathesis 4.32.5's engine cannot drive a WSGI app in-process (it hands socket
    # options such as max_redirects to Werkzeug's test client). One request at a time, as
    # schemathesis sends them (workers=1), so one server thread: the hot-path lookup keeps a
    # database connection per thread, and a thread per request would open hundreds.
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield schemathesis.openapi.from_url(f"http://127.0.0.1:{server.server_port}/api/v1/openapi.json",
                                        config=_config(token))
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def run(schema: schemathesis.BaseSchema) -> tuple[dict[str, int], list[str]]:
    """Run every phase as `st run` does: the requests sent per operation, and each distinct problem."""
    sent: dict[str, int] = {}
    problems: dict[tuple[str, ...], str] = {}
    for event in engine.from_schema(schema).execute():
        if isinstance(event, (events.NonFatalError, events.FatalError)):
            error = getattr(event, "value", None) or getattr(event, "exception", None)
            problems.setdefault(("error", repr(error)), f"schemathesis could not test: {error!r}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        for node in event.recorder.cases.values():
            sent[node.value.operation.label] = sent.get(node.value.operation.label, 0) + 1
        for check in (check for checks in event.recorder.checks.values() for check in checks):
            if check.failure_info is not None:
                failure = check.failure_info.failure
                problems.setdefault((event.recorder.label, check.name, failure.title), "\n".join(
                    [f"{event.recorder.label}: {check.name}: {failure.title}", failure.message,
                     check.failure_info.code_sample]))
    return sent, list(problems.values())


# Hypothesis warns when it renders a generated value of over 10 kB for a report: no problem of the API.
@pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")
def test_the_service_keeps_to_its_document(api_schema: schemathesis.BaseSchema) -> None:
    sent, problems = run(api_schema)
    assert not problems, "\n\n".join(problems)
    operations = {result.ok().label for result in api_schema.get_all_operations()}
    assert set(sent) == operations and min(sent.values()) >= 20, sent


# Values at the edges of each rule: the document's Submission schema must judge each the way the
# service does. (Known, stated gaps: lengths are counted after NFC, which a pattern cannot do; the
# email pattern states ASCII addresses only; a padded email or website over its length limit.)
FIELD_VALUES = {
    "name": ["Ann", "", "   ", " Ann\x1f ", "A\x1fnn", "A\tnn", "a" * 100, "a" * 101, "  " + "a" * 100 + "\u3000",
             "\u202eAnn", "Ann\u2066x", "Zoë O’Brien", "名前", "a\u00a0b", "\x85Ann\x85", "x\x7fy", None, 7],
    "email": ["ann@example.org", " ann@example.org\t", "ann@example", "ann@@example.org", "a..b@example.org",
              ".a@example.org", "a.@example.org", "a@b.c", "a@b.c1", "a@-b.org", "a@b-.org", "a@ab--c.org",
              "a@abc--d.org", "a@b.TEST", "a@b.localhost", "a@localhost.org", "a@[1.2.3.4]", "\"a\"@b.org",
              "o'hara+x/y=z{|}~!#$%&*^`?@b.org", "a" * 240 + "@example.org", "a" * 243 + "@example.org", "", None],
    "body": ["Hi", "", " \r\n ", "line\r\nline", "tab\there", "bell\x07", "\x1fedge\x1f", "a" * 5000,
             "a" * 5001, " " + "a" * 5000 + " ", "\u202eok", 3],
    "website": [None, "", "  ", "https://blog.example/x?y#z", "blog.example", "HTTPS://X.ORG", "http://x:8080/",
                "localhost:8080", "x:0", "x:65535", "x:65536", "http://x:", "http://user:pw@x/", "user@x", "u:p@x",
                "0:p@x", "0abc:", "abc:", "mailto:a@b.org", "ftp://x.org", "http:/x", "http://", "http://.x",
                "http://a..b", "http://a b", "https://x.org/<", "http://[::1]/", "[::1]:8080",
                "http://[fe80::1%eth0]:1/",
                "http://[1.2.3.4]/", "http://[v1.x]/", "http://[v1..x]/", "http://[::1", "http://\uff20x", "é.example",
                "http://x.org/" + "a" * 186, "http://x.org/" + "a" * 187, "x.org/" + "a" * 187, "x.org/" + "a" * 188],
    "article_title": [None, "", "  ", "A title", "a" * 300, "a" * 301, "tab\tinside", "\ttrimmed\t",
                      "\u202eevil"],
    "article_url": [None, "", "https://blog.example/post/", "blog.example/post", "localhost:8080/x",
                    "https://x.org/" + "a" * 1986, "https://x.org/" + "a" * 1987],
}


def _schema_accepts(field: str, value: object) -> bool:
    schema = document()["components"]["schemas"]["Submission"]["properties"][field]
    return jsonschema_rs.Draft202012Validator(schema).is_valid(value)


def _service_accepts(field: str, value: object) -> bool:
    try:
        parse_submission(comment(**{field: value}))
    except ValidationFailed as error:
        return field not in (error.fields or {})
    return True


@pytest.mark.parametrize(("field", "value"), [(f, v) for f, values in FIELD_VALUES.items() for v in values])
def test_the_document_judges_each_field_as_the_service_does(field: str, value: object) -> None:
    assert _schema_accepts(field, value) == _service_accepts(field, value)
