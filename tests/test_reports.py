"""Readers' reports (POST /api/v1/comments/{id}/reports): what they take, what they refuse, and
what they do — one per reader, limited per client, and a comment enough readers reported goes back
to the queue, off every public surface, audited, in one transaction.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from moderation.core.reports import MAX_NOTE, held_reason, parse_report
from moderation.errors import ValidationFailed
from moderation.shared import of
from moderation.store.database import session
from moderation.store.models import AuditEntry, Comment
from moderation.store.outbox_models import OutboxEvent
from moderation.store.report_models import Report
from moderation.web.openapi import document

from helpers import add_moderator, approved, make_app, moderate, submit

BLOG = "https://blog.example"


def report(client: FlaskClient, comment_id: int | str, address: str = "203.0.113.5", **body: Any) -> Any:
    """POST a report from a client address (reason spam unless given)."""
    return client.post(f"/api/v1/comments/{comment_id}/reports", json={"reason": "spam", **body},
                       environ_base={"REMOTE_ADDR": address})


def stored(app: Flask) -> list[Report]:
    """Every report row, oldest first."""
    with app.app_context():
        return list(session().scalars(select(Report).order_by(Report.id)))


def status_of(app: Flask, comment_id: int) -> tuple[str, str | None]:
    """A comment's state and reason."""
    with app.app_context():
        row = session().execute(select(Comment.status, Comment.reason).where(Comment.id == comment_id)).one()
        return row.status, row.reason


# --- What a report may say (pure) ---

@pytest.mark.parametrize(("data", "bad"), [
    ({"reason": "spam"}, set()),
    ({"reason": "off-topic", "note": None}, set()),
    ({"reason": "other", "note": "  \n  "}, set()),
    ({"reason": "abuse", "note": " line one\r\nline two\twith a tab "}, set()),
    ({"reason": "abuse", "note": "a" * MAX_NOTE}, set()),
    ({"reason": "abuse", "note": "\n " + "a" * MAX_NOTE + " \t"}, set()),  # trimmed first
    ({"reason": "abuse", "note": "a" * (MAX_NOTE + 1)}, {"note"}),
    ({"reason": "abuse", "note": "bell\x07"}, {"note"}),
    ({"reason": "abuse", "note": "esc\x1b[31m"}, {"note"}),
    ({"reason": "abuse", "note": 5}, {"note"}),
    ({"reason": "abuse", "note": ["a"]}, {"note"}),
    ({}, {"reason"}),
    ({"reason": "SPAM"}, {"reason"}),
    ({"reason": "rude"}, {"reason"}),
    ({"reason": ["spam"]}, {"reason"}),
    ({"reason": None, "note": 7}, {"reason", "note"}),
    ({"reason": "nope", "note": "x" * 501}, {"reason", "note"}),
])
def test_a_report_names_every_bad_field(data: dict[str, Any], bad: set[str]) -> None:
    try:
        parsed = parse_report(data)
    except ValidationFailed as error:
        assert set(error.fields or {}) == bad, error.fields
        return
    assert not bad, f"accepted {data!r}"
    assert parsed.note is None or (parsed.note == parsed.note.strip() and "\r" not in parsed.note)


NOTES = [None, "", "  ", "ok", " ok\t", "a\nb", "a\r\nb", "a" * 500, "a" * 501, " " + "a" * 500 + " ",
         "\x85edge\x85", "in\x85side", "bell\x07", "\x1fedge\x1f", "x\x7fy", "日本語", "\u202eok", 3, True, ["a"]]
REASON_VALUES = ["spam", "abuse", "off-topic", "other", "Spam", "", None, 1, ["spam"]]


@pytest.mark.parametrize(("reason", "note"), [("spam", note) for note in NOTES]
                         + [(reason, None) for reason in REASON_VALUES])
def test_the_document_judges_a_report_as_the_service_does(reason: object, note: object) -> None:
    body = {"reason": reason, "note": note}
    schema = document()["components"]["schemas"]["Report"]
    try:
        parse_report(body)
        accepted = True
    except ValidationFailed:
        accepted = False
    assert jsonschema_rs.Draft202012Validator(schema).is_valid(body) == accepted


def test_the_reason_a_hold_gives() -> None:
    assert held_reason({"abuse": 1, "spam": 2}) == "Reported by 3 readers: spam ×2, abuse ×1"
    assert held_reason({"other": 1, "off-topic": 0}) == "Reported by 1 reader: other ×1"


# --- The route ---

def test_every_bad_field_at_once_and_nothing_stored(app: Flask, client: FlaskClient, token: str) -> None:
    comment_id = approved(client, token)
    answer = report(client, comment_id, reason="rude", note="x" * 501)
    assert answer.status_code == 422
    assert answer.json["error"] == "validation_failed" and set(answer.json["fields"]) == {"reason", "note"}
    assert stored(app) == []


def test_a_report_is_taken_and_the_reader_is_a_digest(app: Flask, client: FlaskClient, token: str) -> None:
    comment_id = approved(client, token)
    answer = report(client, comment_id, "198.51.100.23", reason="abuse", note="  Rude to <b>Ann</b>.  ")
    assert answer.status_code == 202
    assert answer.json == {"status": "received", "message": "Thank you. A moderator will look at it."}
    [row] = stored(app)
    assert (row.comment_id, row.reason, row.note, row.dismissed_at) == (comment_id, "abuse", "Rude to <b>Ann</b>.",
                                                                        None)
    assert row.reader == of(app).vault.reader("198.51.100.23") and "198.51.100" not in row.reader
    assert len(row.reader) == 64


@pytest.mark.parametrize("state", ["pending", "reject", "spam", "missing", "not a number", "0", "99999999999"])
def test_a_comment_not_published_is_the_same_404_as_none(app: Flask, client: FlaskClient, token: str,
                                                         state: str) -> None:
    comment_id: int | str = submit(client, body=f"Comment in state {state}").json["id"]
    if state in ("reject", "spam"):
        assert moderate(client, token, int(comment_id), state).status_code == 200
    elif state == "missing":
        comment_id = int(comment_id) + 1000
    elif state != "pending":
        comment_id = state
    answer = report(client, comment_id)
    nothing = report(client, 424242)
    assert (answer.status_code, answer.json) == (nothing.status_code, nothing.json) == (404, {
        "error": "not_found", "message": "There is no published comment with this id."})
    assert stored(app) == []


@pytest.mark.parametrize(("send", "status", "code"), [
    ({"data": "reason=spam", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
    ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json"),
    ({"json": ["spam"]}, 400, "invalid_json"),
    ({"json": {"reason": "spam", "note": "x" * 70_000}}, 413, "too_large"),
])
def test_bodies_refused_as_a_submission_would_be(client: FlaskClient, token: str, send: dict[str, Any],
                                                 status: int, code: str) -> None:
    comment_id = approved(client, token)
    answer = client.post(f"/api/v1/comments/{comment_id}/reports", **send)
    assert (answer.status_code, answer.json["error"]) == (status, code)


def test_one_reader_counts_once_and_two_readers_twice(app: Flask, client: FlaskClient, token: str) -> None:
    comment_id = approved(client, token)
    assert report(client, comment_id, "203.0.113.5", note="first").status_code == 202
    assert report(client, comment_id, "203.0.113.5", reason="abuse", note="again").status_code == 202
    assert report(client, comment_id, "::ffff:203.0.113.5").status_code == 202  # the same client, mapped
    assert [(row.reason, row.note) for row in stored(app)] == [("spam", "first")]
    assert report(client, comment_id, "198.51.100.7").status_code == 202
    assert len(stored(app)) == 2


# --- The limit ---

def test_over_the_limit_is_429_and_costs_nothing_more(database_url: str) -> None:
    app = make_app(database_url, RATELIMIT="50/minute", FLOOD_SECONDS=0, REPORT_RATELIMIT="2/minute")
    client, token = app.test_client(), add_moderator(app)
    ids = [approved(client, token, body=f"Comment {n}") for n in range(3)]
    assert [report(client, ids[n]).status_code for n in range(2)] == [202, 202]
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731 -- (conn, cursor, statement, …)
    event.listen(of(app).engine, "before_cursor_execute", listen)
    refused = report(client, ids[2])
    event.remove(of(app).engine, "before_cursor_execute", listen)
    assert refused.status_code == 429 and refused.json["error"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Only the limiter's counter was touched: no comment read, no report written.
    assert statements and [sql for sql in statements if "rate_counters" not in sql
                           and not sql.startswith("BEGIN")] == [], statements
    assert len(stored(app)) == 2
    assert report(client, ids[2], "198.51.100.7").status_code == 202  # another client is not limited
    assert report(client, ids[0], "198.51.100.7", note="x" * 501).status_code == 422  # field errors cost nothing
    assert report(client, ids[1], "198.51.100.7").status_code == 202
    assert report(client, ids[0], "198.51.100.7").status_code == 429


@pytest.mark.parametrize("settings", [{"RATELIMIT": "0", "REPORT_RATELIMIT": "1/hour"},
                                      {"RATELIMIT": "50/minute", "FLOOD_SECONDS": 0, "REPORT_RATELIMIT": "0"}])
def test_the_limit_turned_off(database_url: str, settings: dict[str, str]) -> None:
    app = make_app(database_url, REPORT_THRESHOLD=0, **settings)
    client, token = app.test_client(), add_moderator(app)
    ids = [approved(client, token, body=f"Comment {n}") for n in range(3)]
    assert [report(client, comment_id).status_code for comment_id in ids] == [202, 202, 202]


def test_instances_share_the_limit(database_url: str, counters: dict[str, str]) -> None:
    settings = {"RATELIMIT": "50/minute", "FLOOD_SECONDS": 0, "REPORT_RATELIMIT": "3/minute", **counters}
    first = make_app(database_url, **settings)
    second_client = make_app(database_url, **settings).test_client()
    client, token = first.test_client(), add_moderator(first)
    comment_id = approved(client, token)
    codes = [report(one, comment_id).status_code for one in (client, second_client, client, second_client)]
    assert codes == [202, 202, 202, 429]


# --- The threshold ---

def test_enough_readers_take_a_comment_off_every_public_surface(app: Flask, client: FlaskClient,
                                                                token: str) -> None:
    kept, comment_id = approved(client, token, body="Fine."), approved(client, token, body="Reported.")
    listing = client.get("/api/v1/articles/12345/comments")
    assert listing.json["count"] == 2
    for address, reason in (("198.51.100.1", "spam"), ("198.51.100.2", "abuse")):
        assert report(client, comment_id, address, reason=reason).status_code == 202
    assert status_of(app, comment_id)[0] == "approved"  # two of three
    assert client.get("/api/v1/articles/12345/comments", headers={"If-None-Match": listing.headers["ETag"]}
                      ).status_code == 304
    assert report(client, comment_id, "198.51.100.3", reason="spam").status_code == 202
    assert status_of(app, comment_id) == ("pending", "Reported by 3 readers: spam ×2, abuse ×1")
    after = client.get("/api/v1/articles/12345/comments", headers={"If-None-Match": listing.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != listing.headers["ETag"]
    assert [c["id"] for c in after.json["comments"]] == [kept] and after.json["count"] == 1
    assert client.get("/api/v1/counts?article=12345").json["counts"] == {"12345": 1}
    assert "Reported." not in client.get("/feeds/articles/12345.atom").get_data(as_text=True)
    assert report(client, comment_id, "198.51.100.4").status_code == 404  # no longer published
    with app.app_context():
        [entry] = session().scalars(select(AuditEntry).where(AuditEntry.action == "held")).all()
        assert (entry.comment_id, entry.moderator_name, entry.via) == (comment_id, "readers' reports", "reports")
        assert entry.detail == "Reported by 3 readers: spam ×2, abuse ×1"
        held = session().scalars(select(OutboxEvent).where(OutboxEvent.event == "comment.held")).all()
        assert [(e.comment_id, '"status": "pending"' in e.snapshot) for e in held] == [(comment_id, True)]


def test_threshold_zero_never_holds(database_url: str) -> None:
    app = make_app(database_url, REPORT_THRESHOLD=0)
    client, token = app.test_client(), add_moderator(app)
    comment_id = approved(client, token)
    for n in range(6):
        assert report(client, comment_id, f"198.51.100.{n}").status_code == 202
    assert status_of(app, comment_id)[0] == "approved" and len(stored(app)) == 6


def test_cors_lets_an_allowed_embed_report(database_url: str) -> None:
    app = make_app(database_url, ALLOWED_ORIGINS=BLOG)
    client, token = app.test_client(), add_moderator(app)
    path = f"/api/v1/comments/{approved(client, token)}/reports"
    preflight = client.options(path, headers={"Origin": BLOG, "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "content-type"})
    assert preflight.headers.get("Access-Control-Allow-Origin") == BLOG
    assert "POST" in preflight.headers.get("Access-Control-Allow-Methods", "")
    answer = client.post(path, json={"reason": "spam"}, headers={"Origin": BLOG})
    assert answer.status_code == 202 and answer.headers.get("Access-Control-Allow-Origin") == BLOG
    assert "Origin" in answer.headers["Vary"]
    stranger = client.post(path, json={"reason": "spam"}, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_an_erased_author_leaves_the_reports_alone(app: Flask, client: FlaskClient, token: str) -> None:
    comment_id = approved(client, token, email="gone@example.org")
    assert report(client, comment_id).status_code == 202
    result = app.test_cli_runner().invoke(args=["person", "erase", "gone@example.org", "--yes", "--keep-text"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert session().scalar(select(func.count()).select_from(Report)) == 1
