"""The team on the command line: moderators, roles and tokens — listed, made, revoked, removed.

Every command takes bad input (an unknown name or token, a bad label or expiry) with a
clear message and exit 2, never a traceback; every change is audited as the command line's.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update

from moderation.store.database import session, writing
from moderation.store.models import ApiToken, AuditEntry, Moderator

from helpers import log_in, moderate, submit

PASSWORD = "a long enough password"


def make(runner: FlaskCliRunner, name: str, *options: str, password: str = PASSWORD) -> Any:
    """create-moderator NAME with the password on standard input."""
    return runner.invoke(args=["create-moderator", name, "--password-stdin", *options], input=password + "\n")


def new_token(runner: FlaskCliRunner, name: str, *options: str) -> str:
    """create-token NAME; the token, its output's last line."""
    result = runner.invoke(args=["create-token", name, *options])
    assert result.exit_code == 0, result.output
    return str(result.output.strip().splitlines()[-1])


def bearer(token: str) -> dict[str, str]:
    """The token API's header."""
    return {"Authorization": f"Bearer {token}"}


def audit(app: Flask) -> list[tuple[str, str, str | None]]:
    """(who, action, detail) of every audit entry, oldest first."""
    with app.app_context():
        return [(e.moderator_name, e.action, e.detail)
                for e in session().scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_the_first_moderator_is_an_admin_the_next_a_moderator_unless_told(app: Flask, runner: FlaskCliRunner) -> None:
    assert "created (admin)" in make(runner, "ann").output
    assert "created (moderator)" in make(runner, "bob").output
    assert "created (admin)" in make(runner, "cat", "--role", "admin").output
    listed = runner.invoke(args=["moderators"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "CREATED", "LAST", "LOG-IN", "TOKENS"]
    assert [line.split()[:2] + line.split()[3:] for line in lines[1:]] == [
        ["ann", "admin", "never", "0"], ["bob", "moderator", "never", "0"], ["cat", "admin", "never", "0"]]
    assert [entry[1:] for entry in audit(app)] == [
        ("moderator_created", "ann (admin)"), ("moderator_created", "bob (moderator)"),
        ("moderator_created", "cat (admin)")]


def test_moderators_shows_the_last_log_in_and_live_tokens(app: Flask, runner: FlaskCliRunner, client: Any) -> None:
    make(runner, "ann")
    new_token(runner, "ann")
    expired = new_token(runner, "ann", "--expires-in", "1")
    with app.app_context(), writing() as db:
        db.execute(update(ApiToken).where(ApiToken.id == 2).values(
            expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert client.get("/api/v1/moderation/queue", headers=bearer(expired)).status_code == 401
    assert log_in(client, "ann", PASSWORD).status_code == 303
    row = runner.invoke(args=["moderators"]).output.splitlines()[1].split()
    assert row[0] == "ann" and row[3].endswith("Z") and row[4] == "1"  # logged in; one token still works


def test_tokens_lists_ids_labels_and_dates_never_the_secret(app: Flask, runner: FlaskCliRunner, client: Any) -> None:
    make(runner, "ann")
    first = new_token(runner, "ann", "--label", "Slack bot")
    result = runner.invoke(args=["create-token", "ann", "--label", "nightly export", "--expires-in", "30"])
    assert result.exit_code == 0 and "New API token 2 for 'ann' (expires 20" in result.output, result.output
    second = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/moderation/queue", headers=bearer(first)).status_code == 200

    listed = runner.invoke(args=["tokens", "ann"])
    assert listed.exit_code == 0, listed.output
    rows = [line.split("  ") for line in listed.output.splitlines()]
    assert rows[0][0] == "ID"
    first_row, second_row = ([cell.strip() for cell in row if cell.strip()] for row in rows[1:])
    assert first_row[:2] == ["1", "Slack bot"] and first_row[3].endswith("Z") and first_row[4] == "never"
    assert second_row[:2] == ["2", "nightly export"] and second_row[3] == "never"
    expires = datetime.strptime(second_row[4], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert timedelta(days=29, hours=23) < expires - datetime.now(timezone.utc) <= timedelta(days=30)
    with app.app_context():
        hashes = list(session().scalars(select(ApiToken.token_hash)))
    for secret in (first, second, *hashes):
        assert secret not in listed.output
    assert ("command line", "token_created", "token 2 of ann (nightly export)") in audit(app)


def test_a_token_is_used_within_a_minute_of_its_last_use_without_a_write_each_time(
        app: Flask, runner: FlaskCliRunner, client: Any) -> None:
    make(runner, "ann")
    token = new_token(runner, "ann")
    assert client.get("/api/v1/moderation/queue", headers=bearer(token)).status_code == 200
    with app.app_context():
        first = session().scalar(select(ApiToken.last_used_at))
    assert first is not None and datetime.now(timezone.utc) - first < timedelta(seconds=30)
    assert client.get("/api/v1/moderation/queue", headers=bearer(token)).status_code == 200
    with app.app_context():
        assert session().scalar(select(ApiToken.last_used_at)) == first  # not written again so soon


def test_revoke_token_ends_it_at_once(app: Flask, runner: FlaskCliRunner, client: Any) -> None:
    make(runner, "ann")
    kept, revoked = new_token(runner, "ann"), new_token(runner, "ann")
    comment_id = submit(client).json["id"]
    result = runner.invoke(args=["revoke-token", "2"])
    assert result.exit_code == 0 and "Token 2 revoked" in result.output, result.output
    assert moderate(client, revoked, comment_id, "approve").status_code == 401
    assert moderate(client, kept, comment_id, "approve").status_code == 200
    assert ("command line", "token_revoked", "token 2 of ann") in audit(app)


def test_delete_moderator_ends_sessions_and_tokens_and_keeps_their_name_in_the_log(
        app: Flask, runner: FlaskCliRunner, client: Any) -> None:
    make(runner, "ann")
    make(runner, "bob")
    token = new_token(runner, "bob")
    comment_id = submit(client).json["id"]
    assert moderate(client, token, comment_id, "reject").status_code == 200
    assert log_in(client, "bob", PASSWORD).status_code == 303
    assert client.get("/moderate/").status_code == 200

    result = runner.invoke(args=["delete-moderator", "bob"])
    assert result.exit_code == 0 and "removed" in result.output, result.output
    assert client.get("/moderate/").status_code == 303  # the browser's session ended with the row
    assert client.get("/api/v1/moderation/queue", headers=bearer(token)).status_code == 401
    with app.app_context():
        assert session().scalar(select(Moderator.id).where(Moderator.name == "bob")) is None
        assert session().scalar(select(ApiToken.id)) is None
    log = audit(app)
    assert ("bob", "rejected", None) in log
    assert ("command line", "moderator_removed", "bob (moderator); 1 token(s) revoked") in log


def test_the_last_admin_cannot_be_removed_or_demoted(app: Flask, runner: FlaskCliRunner) -> None:
    make(runner, "ann")
    make(runner, "bob")
    for args in (["delete-moderator", "ann"],):
        refused = runner.invoke(args=args)
        assert refused.exit_code == 2 and "only admin" in refused.output, refused.output
    demoted = make(runner, "ann", "--role", "moderator")
    assert demoted.exit_code == 2 and "only admin" in demoted.output, demoted.output
    make(runner, "bob", "--role", "admin")
    assert make(runner, "ann", "--role", "moderator").exit_code == 0
    assert runner.invoke(args=["delete-moderator", "bob"]).exit_code == 2  # bob is the only admin now
    assert runner.invoke(args=["delete-moderator", "ann"]).exit_code == 0
    with app.app_context():
        assert [(m.name, m.role) for m in session().scalars(select(Moderator))] == [("bob", "admin")]


def test_a_new_password_offers_to_revoke_the_tokens(app: Flask, runner: FlaskCliRunner, client: Any) -> None:
    make(runner, "ann")
    token = new_token(runner, "ann")
    kept = make(runner, "ann", password="a second long password")
    assert "1 API token(s) of 'ann' still work" in kept.output, kept.output
    assert client.get("/api/v1/moderation/queue", headers=bearer(token)).status_code == 200

    asked = runner.invoke(args=["create-moderator", "ann"], input="a third long password\n" * 2 + "y\n")
    assert asked.exit_code == 0 and "Revoke them too?" in asked.output and "Revoked 1 API token" in asked.output
    assert client.get("/api/v1/moderation/queue", headers=bearer(token)).status_code == 401

    token = new_token(runner, "ann")
    flagged = make(runner, "ann", "--revoke-tokens", password="a fourth long password")
    assert "Revoked 1 API token(s)." in flagged.output, flagged.output
    assert client.get("/api/v1/moderation/queue", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(("args", "message"), [
    (["tokens", "nobody"], "There is no moderator 'nobody'"),
    (["delete-moderator", "nobody"], "There is no moderator 'nobody'"),
    (["create-token", "nobody"], "There is no moderator 'nobody'"),
    (["revoke-token", "99"], "There is no token 99."),
    (["revoke-token", "0"], "Invalid value for 'ID'"),
    (["revoke-token", "one"], "Invalid value for 'ID'"),
    (["create-token", "ann", "--expires-in", "0"], "Invalid value for '--expires-in'"),
    (["create-token", "ann", "--expires-in", "3651"], "Invalid value for '--expires-in'"),
    (["create-token", "ann", "--expires-in", "soon"], "Invalid value for '--expires-in'"),
    (["create-token", "ann", "--label", "x" * 101], "must be at most 100 printable characters"),
    (["create-token", "ann", "--label", "tab\there"], "must be at most 100 printable characters"),
    (["create-moderator", "ann", "--role", "owner", "--password-stdin"], "'owner' is not one of 'admin', 'moderator'"),
])
def test_bad_input_is_refused_clearly_and_changes_nothing(app: Flask, runner: FlaskCliRunner, args: list[str],
                                                          message: str) -> None:
    make(runner, "ann")
    before = audit(app)
    result = runner.invoke(args=args, input=PASSWORD + "\n")
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output, result.output
    assert audit(app) == before


def test_no_moderators_and_no_tokens_say_what_to_do(runner: FlaskCliRunner) -> None:
    assert "make one with `flask --app app create-moderator NAME`" in runner.invoke(args=["moderators"]).output
    make(runner, "ann")
    assert "'ann' has no API tokens" in runner.invoke(args=["tokens", "ann"]).output
