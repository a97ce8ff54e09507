"""`flask --app app import disqus` and `import isso`: the other two sources, into the database.

The parsers have their own tests (test_import_parsers.py); these run the real commands on the
samples written the way Disqus and Isso write them, on SQLite and PostgreSQL: threads, states,
rendering and sanitizing, people's addresses, idempotence, and the summary an operator reads.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from moderation.shared import of
from moderation.store.database import session
from moderation.store.models import Article, Comment


def imported(app: Flask, prefix: str) -> dict[str, Comment]:
    """The imported comments by their id in the source."""
    with app.app_context():
        return {c.source.split(":", 1)[1]: c for c in session().scalars(select(Comment))
                if c.source and c.source.startswith(prefix)}


def test_a_gzipped_disqus_export_comes_in_with_its_threads(app: Flask, import_samples: Any) -> None:
    result = app.test_cli_runner().invoke(args=["import", "disqus", str(import_samples.disqus_gzip)])
    assert result.exit_code == 0, result.output
    assert "Comments imported: 9 approved, 1 spam." in result.output
    assert "Skipped, deleted: 2." in result.output and "Skipped, its thread is deleted: 1." in result.output
    assert "post 9015 is in a thread that is not in the file" in result.output
    found = imported(app, "disqus:")
    assert found["9002"].parent_id == found["9001"].id and found["9004"].parent_id == found["9003"].id
    assert found["9005"].status == "spam" and found["9007"].parent_id is None  # its parent was deleted
    assert "<script" not in found["9008"].body_html and "onclick" not in found["9008"].body_html
    with app.app_context():
        assert session().get(Article, "101") is not None  # "101 https://…/?p=101": WordPress's plugin's id
    again = app.test_cli_runner().invoke(args=["import", "disqus", str(import_samples.disqus)])
    assert "Comments imported: none." in again.output and "Already imported before" in again.output


def test_an_isso_database_comes_in_with_its_markdown_rendered(app: Flask, import_samples: Any) -> None:
    before = import_samples.isso.read_bytes()
    result = app.test_cli_runner().invoke(args=["import", "isso", str(import_samples.isso)])
    assert result.exit_code == 0, result.output
    assert "Comments imported: 5 approved, 1 pending." in result.output and "Skipped, deleted: 1." in result.output
    assert "comments.id 11: mode 3 is none Isso writes" in result.output
    assert import_samples.isso.read_bytes() == before  # read only
    found = imported(app, "isso:")
    assert found["1"].body_html.startswith("<p>Great <strong>news</strong> for the harbour!</p>")
    assert found["2"].parent_id == found["1"].id and found["3"].status == "pending"
    assert "&lt;script&gt;" in found["6"].body_html and "<script" not in found["6"].body_html
    assert found["5"].parent_id is None  # a reply to the deleted comment 4
    vault = of(app).vault
    assert vault.open(found["1"].email_sealed, found["1"].email_key_id) == "alice@example.org"
    assert found["1"].email_digest == vault.digest("alice@example.org") and found["1"].ip == "203.0.113.0"
    assert vault.open(found["3"].email_sealed, found["3"].email_key_id) == ""  # Isso had none
    again = app.test_cli_runner().invoke(args=["import", "isso", str(import_samples.isso)])
    assert "Already imported before, left as they are: 6." in again.output


def test_a_file_that_is_no_isso_database_is_refused(app: Flask, import_samples: Any) -> None:
    for name in ("not_isso.db", "no_isso_tables.db"):
        result = app.test_cli_runner().invoke(args=["import", "isso", str(import_samples.hostile[name])])
        assert result.exit_code == 2, result.output
