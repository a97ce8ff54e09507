"""Moderators' decisions go back to the spam check through the outbox: spam as Akismet's
submit-spam, an approval as submit-ham; never the email; a failure is tried again later."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from moderation.notify.worker import Worker
from moderation.store.database import session
from moderation.store.outbox_models import Delivery

from helpers import Classifier, add_moderator, make_app, moderate, submit


def reporting_app(database_url: str, classifier: str) -> tuple[Flask, Any, str]:
    """An app whose spam check is the test's classifier, its client, and a moderator's token."""
    app = make_app(database_url, SPAM_CHECK_URL=classifier)
    return app, app.test_client(), add_moderator(app)


def test_spam_and_approval_decisions_are_reported_without_the_email(database_url: str, classifier: str) -> None:
    app, client, token = reporting_app(database_url, classifier)
    spam = submit(client, body="Buy now.", name="Spammer", email="spammer@example.org").json["id"]
    ham = submit(client, body="A real thought.", name="Ann", email="ann@example.org").json["id"]
    assert moderate(client, token, spam, "spam").status_code == 200
    assert moderate(client, token, ham, "approve").status_code == 200
    checks = len(Classifier.paths)  # the two comment-checks at submission
    assert Worker(app).run_once() == 2
    reports = list(zip(Classifier.paths[checks:], Classifier.seen[checks:]))
    assert [(path.split("?")[0], form["comment_content"]) for path, form in sorted(reports)] == [
        ("/1.1/submit-ham", ["A real thought."]), ("/1.1/submit-spam", ["Buy now."])]
    assert all(path.endswith("key=SECRET-API-KEY-123") for path, _ in reports)
    assert not any("example.org" in str(form) for _, form in reports)
    assert Worker(app).run_once() == 0  # each decision reported once


def test_a_failed_report_is_tried_again_and_a_deleted_comment_is_dropped(database_url: str,
                                                                        classifier: str) -> None:
    app, client, token = reporting_app(database_url, classifier)
    first = submit(client, body="One.").json["id"]
    second = submit(client, body="Two.", name="Bob").json["id"]
    assert moderate(client, token, first, "spam").status_code == 200
    assert moderate(client, token, second, "spam").status_code == 200
    assert moderate(client, token, second, "delete").status_code == 200
    Classifier.status = 503
    assert Worker(app).run_once() == 2  # both tried: the deleted comment's is dropped, the other fails
    with app.app_context():
        states = sorted((d.status, d.last_error or "") for d in session().scalars(select(Delivery)))
    assert states == [("dropped", "the comment is gone"), ("pending", "spam check report failed: HTTP 503")]


def test_no_spam_check_no_reports(app: Flask, client: Any, token: str) -> None:
    submit(client)
    assert moderate(client, token, 1, "spam").status_code == 200
    assert Worker(app).run_once() == 0
    with app.app_context():
        assert session().scalars(select(Delivery)).all() == []
