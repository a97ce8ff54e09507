"""Readers' reports on the moderators' side: the queue shows them (notes as text), a CSRF-protected
POST dismisses them, approving a held comment publishes it again and dismisses them, the token API
counts them, exports carry them — and simultaneous reports move a comment exactly once.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.store.database import session
from moderation.store.models import AuditEntry, Comment, Moderator
from moderation.store.outbox_models import OutboxEvent
from moderation.store.report_models import Report

from moderation.notify.worker import Worker
from moderation.store import notices

from helpers import (Inbox, add_moderator, approved, assert_nothing_runs, csrf_from, mail_app, make_app, moderate,
                     parse, parts, text_of)

SCRIPT = "<script>alert(1)</script>"


def report(client: FlaskClient, comment_id: int, address: str, **body: Any) -> Any:
    """POST a report from a client address (reason spam unless given)."""
    return client.post(f"/api/v1/comments/{comment_id}/reports", json={"reason": "spam", **body},
                       environ_base={"REMOTE_ADDR": address})


def held_by_three(client: FlaskClient, comment_id: int) -> None:
    """Three readers report the comment (the default threshold), one with a note that is a script."""
    for n, (reason, note) in enumerate((("abuse", SCRIPT), ("spam", None), ("abuse", "Rude.\nTwice."))):
        assert report(client, comment_id, f"198.51.100.{n}", reason=reason, note=note).status_code == 202


def reports_of(app: Flask, comment_id: int) -> list[tuple[str, bool]]:
    """A comment's reports: (reason, dismissed?), oldest first."""
    with app.app_context():
        return [(row.reason, row.dismissed_at is not None) for row in session().scalars(
            select(Report).where(Report.comment_id == comment_id).order_by(Report.id))]


def audit(app: Flask, action: str) -> list[AuditEntry]:
    """The audit entries of one action, oldest first."""
    with app.app_context():
        return list(session().scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_the_queue_says_why_a_comment_is_back(app: Flask, client: FlaskClient, token: str,
                                              mod_client: FlaskClient) -> None:
    comment_id = approved(client, token)
    held_by_three(client, comment_id)
    page = mod_client.get("/moderate/")
    card = next(element for element in parse(page).iter("article") if element.get("id") == f"c-{comment_id}")
    text = text_of(card)
    assert "Taken off the public list by readers' reports" in text
    assert "3 open reports: abuse ×2, spam ×1" in text
    assert "Reported by 3 readers: abuse ×2, spam ×1" in text  # its reason
    assert SCRIPT in text and "Rude. Twice." in text  # the notes, as text
    html = page.get_data(as_text=True)
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert_nothing_runs(page)
    assert f"/moderate/comments/{comment_id}/reports/dismiss" in html


def test_an_approved_comment_shows_its_open_reports(client: FlaskClient, token: str,
                                                    mod_client: FlaskClient) -> None:
    comment_id = approved(client, token)
    assert report(client, comment_id, "198.51.100.9", reason="off-topic").status_code == 202
    text = text_of(parse(mod_client.get("/moderate/?status=approved")))
    assert "1 open report: off-topic ×1" in text and "Taken off the public list" not in text
    [item] = client.get("/api/v1/moderation/queue?status=approved",
                        headers={"Authorization": f"Bearer {token}"}).json["comments"]
    assert item["reports"] == 1


def test_dismissing_needs_the_csrf_token(app: Flask, client: FlaskClient, token: str,
                                         mod_client: FlaskClient) -> None:
    comment_id = approved(client, token)
    held_by_three(client, comment_id)
    path = f"/moderate/comments/{comment_id}/reports/dismiss"
    refused = mod_client.post(path, data={"return_to": "/moderate/"}, headers={"Accept": "application/json"})
    assert (refused.status_code, refused.json["error"]) == (400, "csrf_failed")
    forged = mod_client.post(path, data={"csrf_token": "forged"}, headers={"Accept": "application/json"})
    assert (forged.status_code, forged.json["error"]) == (400, "csrf_failed")
    stranger = app.test_client().post(path, data={"csrf_token": csrf_from(mod_client, "/moderate/")})
    assert stranger.status_code == 400  # another browser, without the moderator's session
    assert reports_of(app, comment_id) == [("abuse", False), ("spam", False), ("abuse", False)]
    assert audit(app, "reports_dismissed") == []

    done = mod_client.post(path, data={"csrf_token": csrf_from(mod_client, "/moderate/"), "return_to": "/moderate/"})
    assert done.status_code == 303
    assert reports_of(app, comment_id) == [("abuse", True), ("spam", True), ("abuse", True)]
    [entry] = audit(app, "reports_dismissed")
    assert (entry.comment_id, entry.moderator_name, entry.detail) == (comment_id, "mod", "3 reports")
    with app.app_context():
        assert session().get(Comment, comment_id).status == "pending"  # dismissing decides nothing else
    again = mod_client.post(path, data={"csrf_token": csrf_from(mod_client, "/moderate/")},
                            headers={"Accept": "application/json"})
    assert again.json["dismissed"] == 0 and len(audit(app, "reports_dismissed")) == 1


def test_approving_publishes_again_and_dismissed_reports_stop_counting(app: Flask, client: FlaskClient,
                                                                       token: str) -> None:
    comment_id = approved(client, token)
    held_by_three(client, comment_id)
    assert client.get("/api/v1/articles/12345/comments").json["count"] == 0
    assert moderate(client, token, comment_id, "approve").status_code == 200
    assert client.get("/api/v1/articles/12345/comments").json["count"] == 1
    assert [dismissed for _, dismissed in reports_of(app, comment_id)] == [True, True, True]
    assert audit(app, "approved")[-1].detail == "3 open reports dismissed"
    for n in range(3):  # the same readers once more: their rows stay, nothing counts
        assert report(client, comment_id, f"198.51.100.{n}").status_code == 202
    for n in range(2):  # two new readers: below the threshold again
        assert report(client, comment_id, f"192.0.2.{n}").status_code == 202
    with app.app_context():
        assert session().get(Comment, comment_id).status == "approved"
    assert len(reports_of(app, comment_id)) == 5
    assert report(client, comment_id, "192.0.2.2").status_code == 202
    with app.app_context():
        assert session().get(Comment, comment_id).status == "pending"
    assert len(audit(app, "held")) == 2


def test_reports_travel_in_the_export(app: Flask, client: FlaskClient, token: str, tmp_path: Any,
                                      database_url: str) -> None:
    comment_id = approved(client, token)
    held_by_three(client, comment_id)
    assert moderate(client, token, comment_id, "approve").status_code == 200
    assert report(client, comment_id, "192.0.2.1", reason="other", note="Still odd.").status_code == 202
    path = tmp_path / "site.json"
    assert app.test_cli_runner().invoke(args=["export", str(path)]).exit_code == 0
    other = make_app(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    for _ in range(2):  # the second time finds every one there already
        result = other.test_cli_runner().invoke(args=["import", "json", str(path)])
        assert result.exit_code == 0, result.output
    assert reports_of(other, comment_id) == [("abuse", True), ("spam", True), ("abuse", True), ("other", False)]
    with other.app_context():
        assert session().scalars(select(Report.note).where(Report.reason == "other")).one() == "Still odd."


def test_moderators_who_want_each_held_comment_are_mailed_about_a_hold(database_url: str,
                                                                     smtp_inbox: tuple[Inbox, int]) -> None:
    handler, port = smtp_inbox
    app = mail_app(database_url, port)
    client, token = app.test_client(), add_moderator(app)
    with app.app_context():
        moderator_id = session().scalars(select(Moderator.id).where(Moderator.name == "mod")).one()
        notices.set_notices(moderator_id, "mod@news.example", "each", datetime.now(timezone.utc))
    comment_id = approved(client, token, body="Published, then reported.")
    Worker(app).run_once()
    before = len(handler.messages)  # the alert of its arrival, sent before it was approved (or dropped)
    held_by_three(client, comment_id)
    assert Worker(app).run_once() == 1
    assert len(handler.messages) == before + 1
    plain, _ = parts(handler.messages[-1][1])
    assert "Published, then reported." in plain and "Reported by 3 readers: abuse ×2, spam ×1" in plain


# --- Simultaneous reports ---

def _at_once(app: Flask, comment_id: int, addresses: list[str]) -> list[int]:
    """Report the comment from each address at the same moment, each in a thread of its own."""
    start, codes = threading.Barrier(len(addresses)), [0] * len(addresses)

    def send(position: int) -> None:
        client = app.test_client()
        start.wait()
        codes[position] = report(client, comment_id, addresses[position]).status_code

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(addresses))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return codes


@pytest.mark.parametrize("threshold", [2, 6])
def test_simultaneous_reports_hold_a_comment_exactly_once(database_url: str, threshold: int) -> None:
    """Threshold 2: several reports cross it at once, one moves the comment. Threshold 6, six readers at
    once: each must see the others' reports, or none would hold it. Three rounds, for the odds."""
    app = make_app(database_url, REPORT_THRESHOLD=threshold)
    client, token = app.test_client(), add_moderator(app)
    for round_ in range(3):
        article = f"race-{round_}"
        comment_id = approved(client, token, article)
        version = client.get(f"/api/v1/articles/{article}/comments").headers["ETag"]
        codes = _at_once(app, comment_id, [f"198.51.100.{n}" for n in range(6)])
        # Each is counted, or (once the comment is held) finds it no longer published; none fails.
        assert set(codes) <= {202, 404} and codes.count(202) >= threshold, codes
        with app.app_context():
            assert session().get(Comment, comment_id).status == "pending"
            held = session().scalars(select(OutboxEvent).where(OutboxEvent.event == "comment.held",
                                                               OutboxEvent.comment_id == comment_id)).all()
        assert len(held) == 1 and [e.comment_id for e in audit(app, "held")].count(comment_id) == 1
        assert len(reports_of(app, comment_id)) == codes.count(202)
        assert client.get(f"/api/v1/articles/{article}/comments").headers["ETag"] != version
