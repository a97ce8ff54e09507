"""`flask --app app person export EMAIL`: everything stored about one reader, for their own eyes.

The address is found through its keyed digests (the current secret key's and every retired
one's), in any case; nobody else's data is in the document, and the audit log records the
export without the address.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from moderation.store.database import session
from moderation.store.models import AuditEntry

from helpers import approved, make_app, submit


def export(app: Flask, email: str) -> Any:
    """Run the command; its result."""
    return app.test_cli_runner().invoke(args=["person", "export", email])


def test_export_holds_every_comment_of_the_address_and_nothing_else(app: Flask, client: Any, token: str) -> None:
    first = approved(client, token, "post-1", email="ann@example.org", name="Ann", body="Mine, approved.",
                     website="https://ann.example", article_title="First post",
                     article_url="http://localhost/post-1")
    held = submit(client, "post-2", email="ANN@Example.org", name="Ann R.", body="Mine, held.").json["id"]
    submit(client, "post-1", email="bob@example.org", name="Bob", body="Bob's, not Ann's.")
    assert app.test_cli_runner().invoke(args=["blocks", "add", "email", "ann@example.org", "--note", "troll"]
                                        ).exit_code == 0

    result = export(app, "Ann@example.org")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [(c["id"], c["status"], c["name"], c["text"]) for c in document["comments"]] == [
        (first, "approved", "Ann", "Mine, approved."), (held, "pending", "Ann R.", "Mine, held.")]
    assert document["comments"][0]["article"] == {"id": "post-1", "title": "First post",
                                                  "url": "http://localhost/post-1"}
    assert document["comments"][0]["website"] == "https://ann.example"
    assert document["comments"][0]["ip"] == "127.0.0.1" and document["comments"][0]["created_at"].endswith("Z")
    assert document["blocks"] == [{"kind": "email", "note": "troll", "created_at": document["blocks"][0]["created_at"]}]
    assert "Bob" not in result.output and "bob@example.org" not in result.output
    with app.app_context():
        entry = session().scalars(select(AuditEntry).where(AuditEntry.action == "person_exported")).one()
    assert entry.detail == "2 comments and 1 block exported" and entry.via == "cli"
    assert "ann" not in (entry.detail or "").lower()


def test_comments_sealed_under_a_retired_key_are_found(database_url: str) -> None:
    before = make_app(database_url)
    assert submit(before.test_client(), email="ann@example.org").status_code == 202
    after = make_app(database_url, SECRET_KEY="a brand new secret", OLD_SECRET_KEYS=before.config["SECRET_KEY"])
    document = json.loads(export(after, "ann@example.org").output)
    assert len(document["comments"]) == 1


def test_an_address_with_no_data_gets_an_empty_document(app: Flask, client: Any) -> None:
    submit(client, email="bob@example.org")
    result = export(app, "nobody@example.org")
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert (document["email"], document["comments"], document["blocks"]) == ("nobody@example.org", [], [])


@pytest.mark.parametrize("typed", ["not an address", "ann@", "@example.org", "ann@localhost", ""])
def test_a_malformed_address_is_refused(app: Flask, typed: str) -> None:
    result = export(app, typed)
    assert result.exit_code == 2
    assert "EMAIL" in result.output and "Traceback" not in result.output
