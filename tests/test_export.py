"""`flask --app app export` and `import json`: the whole site out, and back in, the same.

A site with every kind of thing in it — threads, every state, an edit, an erased author, a
closed article with its own pre-moderation, word lists, blocks, the audit log, an imported
comment — goes SQLite → PostgreSQL → SQLite and comes out the same document. Restoring is
idempotent into the same database and finds its own again in another one.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from moderation.store.database import session
from moderation.store.models import AuditEntry, Comment

from helpers import add_moderator, approved, logged_in, make_app, moderate, submit, wipe_database


def populate(app: Flask, import_samples: Any) -> None:
    """A site with a little of everything."""
    token = add_moderator(app)
    client, runner = app.test_client(), app.test_cli_runner()
    first = approved(client, token, "story", name="Ann", email="ann@example.org", body="First, with *stars*.")
    reply = approved(client, token, "story", name="Bob <b>", email="bob@example.org", parent_id=first,
                     body="Réponse — 日本語 😀")
    submit(client, "story", name="Pending Pat", email="pat@example.org", body="Still waiting.")
    for action, body in (("reject", "Rejected words."), ("spam", "Buy now.")):
        moderate(client, token, submit(client, "other", email="x@example.org", body=body).json["id"], action)
    client.post(f"/api/v1/moderation/comments/{reply}", json={"action": "approve"},
                headers={"Authorization": f"Bearer {token}"})
    for address, reason, note in (("192.0.2.1", "spam", None), ("192.0.2.2", "abuse", "Rude.\n<b>really</b>")):
        client.post(f"/api/v1/comments/{first}/reports", json={"reason": reason, "note": note},
                    environ_base={"REMOTE_ADDR": address})
    moderate(client, token, first, "approve")  # which dismisses those two reports
    client.post(f"/api/v1/comments/{reply}/reports", json={"reason": "off-topic"},
                environ_base={"REMOTE_ADDR": "192.0.2.3"})
    for args in (["words", "add", "hold", "casino"], ["blocks", "add", "email", "troll@example.org", "--note", "n"],
                 ["blocks", "add", "ip", "203.0.113.0/24"], ["article", "story", "--title", "The story"],
                 ["person", "erase", "x@example.org", "--yes", "--keep-text"], ["import", "wxr", str(import_samples.wxr)]):
        assert runner.invoke(args=args).exit_code == 0, args


def exported(app: Flask, path: Path) -> dict[str, Any]:
    """The export of app's database, read back (its moment left out: it is when, not what)."""
    result = app.test_cli_runner().invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    document = json.loads(path.read_text(encoding="utf-8"))
    document.pop("exported_at")
    return document


def restored(app: Flask, path: Path) -> Any:
    """import json's result."""
    result = app.test_cli_runner().invoke(args=["import", "json", str(path)])
    assert result.exit_code == 0, result.output
    return result


def test_export_restore_export_is_the_same_document_across_databases(tmp_path: Path, postgres_url: str,
                                                                    import_samples: Any) -> None:
    source = make_app(f"sqlite:///{tmp_path}/source.sqlite3", SECRET_KEY="source-secret")
    populate(source, import_samples)
    first = exported(source, tmp_path / "first.json")
    assert len(first["comments"]) >= 15 and first["words"] and len(first["blocks"]) == 2 and first["audit"]
    assert [(r["reason"], r["dismissed_at"] is not None) for r in first["reports"]] == [
        ("spam", True), ("abuse", True), ("off-topic", False)]
    assert {c["status"] for c in first["comments"]} == {"approved", "pending", "rejected", "spam"}
    wipe_database(postgres_url)
    middle = make_app(postgres_url, SECRET_KEY="another-secret")  # another key: emails sealed anew
    restored(middle, tmp_path / "first.json")
    second = exported(middle, tmp_path / "second.json")
    assert second == first
    last = make_app(f"sqlite:///{tmp_path}/last.sqlite3", SECRET_KEY="source-secret")
    restored(last, tmp_path / "second.json")
    assert exported(last, tmp_path / "third.json") == first
    ann = submit(middle.test_client(), "story", email="ann2@example.org", body="A new one after the restore.")
    assert ann.json["id"] > max(c["id"] for c in first["comments"])  # the id sequence moved past the restored


def test_restoring_twice_adds_nothing(app: Flask, tmp_path: Path, import_samples: Any) -> None:
    populate(app, import_samples)
    document = exported(app, tmp_path / "site.json")
    again = restored(app, tmp_path / "site.json")
    assert "Restored: 0 articles, 0 comments, 0 reports, 0 words, 0 blocks, 0 audit." in again.output
    assert exported(app, tmp_path / "after.json") == document


def test_into_another_site_comments_get_new_ids_and_are_found_again(tmp_path: Path, import_samples: Any) -> None:
    source = make_app(f"sqlite:///{tmp_path}/a.sqlite3")
    populate(source, import_samples)
    document = exported(source, tmp_path / "a.json")
    other = make_app(f"sqlite:///{tmp_path}/b.sqlite3")
    approved(other.test_client(), add_moderator(other), "elsewhere", body="Already here.")
    restored(other, tmp_path / "a.json")
    restored(other, tmp_path / "a.json")  # the second time finds every one by its source
    with other.app_context():
        assert session().scalar(select(func.count()).select_from(Comment)) == len(document["comments"]) + 1
        by_text = {c.body_text: c for c in session().scalars(select(Comment))}
    reply = next(c for c in document["comments"] if c["text"] == "Réponse — 日本語 😀")
    parent = next(c for c in document["comments"] if c["id"] == reply["parent_id"])
    assert by_text[reply["text"]].parent_id == by_text[parent["text"]].id
    assert by_text["First, with *stars*."].source == f"site:{document['site']}#{parent['id']}"


def test_the_file_is_the_owners_only_and_says_it_holds_personal_data(app: Flask, tmp_path: Path) -> None:
    approved(app.test_client(), add_moderator(app), email="ann@example.org")
    result = app.test_cli_runner().invoke(args=["export", str(tmp_path / "site.json")])
    assert "personal data" in result.output
    assert stat.S_IMODE(os.stat(tmp_path / "site.json").st_mode) == 0o600
    document = json.loads((tmp_path / "site.json").read_text())
    assert document["format"] == "comment-moderation-export" and document["version"] == 1
    assert document["comments"][0]["email"] == "ann@example.org"
    assert "password" not in json.dumps(document) and "token" not in json.dumps(document).replace("form_token", "")


@pytest.mark.parametrize(("content", "says"), [
    ("not json", "This is not a JSON export"),
    ('{"format": "something-else", "version": 1}', "not an export of this service"),
    ('{"format": "comment-moderation-export", "version": 99}', "version 99"),
    ("[1, 2]", "not an export of this service"),
])
def test_a_file_that_is_no_export_is_refused(app: Flask, tmp_path: Path, content: str, says: str) -> None:
    (tmp_path / "bad.json").write_text(content)
    result = app.test_cli_runner().invoke(args=["import", "json", str(tmp_path / "bad.json")])
    assert result.exit_code == 2 and says in result.output


def test_a_bad_row_is_reported_and_the_rest_restored(app: Flask, tmp_path: Path) -> None:
    source = make_app(f"sqlite:///{tmp_path}/a.sqlite3")
    token = add_moderator(source)
    for number in range(3):
        approved(source.test_client(), token, body=f"Comment {number}.")
    document = exported(source, tmp_path / "a.json")
    document["exported_at"] = "2026-12-04T00:00:00Z"
    document["comments"][1]["status"] = "lost"
    del document["comments"][2]["created_at"]
    (tmp_path / "edited.json").write_text(json.dumps(document))
    result = restored(app, tmp_path / "edited.json")
    assert "comments, row 2 (id 2): its state 'lost' is not one of" in result.output
    assert "comments, row 3 (id 3): it has no 'created_at'" in result.output
    with app.app_context():
        assert list(session().scalars(select(Comment.body_text))) == ["Comment 0."]


def test_an_admin_downloads_the_export_from_the_moderators_pages(app: Flask, tmp_path: Path) -> None:
    approved(app.test_client(), add_moderator(app), email="ann@example.org")
    admin = logged_in(app)
    page = admin.get("/moderate/export")
    assert page.status_code == 200 and "personal data" in page.get_data(as_text=True)
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    download = admin.post("/moderate/export", data={"csrf_token": token})
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    document = json.loads(download.get_data(as_text=True))
    assert document["comments"][0]["email"] == "ann@example.org"
    assert admin.post("/moderate/export").status_code == 400  # no CSRF token: refused
    unread = admin.post("/moderate/export", data={"csrf_token": token}, buffered=False)
    unread.close()  # the admin's browser gives up at once: the download is in the log all the same
    with app.app_context():
        entries = session().scalars(select(AuditEntry).where(AuditEntry.action == "site_exported")).all()
    assert [(e.moderator_name, e.via) for e in entries] == [("mod", "web")] * 2
    add_moderator(app, "helper", role="moderator")
    assert logged_in(app, "helper").get("/moderate/export").status_code == 403


def test_an_edited_export_cannot_plant_script_or_links_on_the_site(app: Flask, tmp_path: Path) -> None:
    source = make_app(f"sqlite:///{tmp_path}/a.sqlite3")
    approved(source.test_client(), add_moderator(source), body="Harmless.")
    document = exported(source, tmp_path / "a.json")
    document["exported_at"] = "2026-12-04T00:00:00Z"
    row = document["comments"][0]
    row.update(html='<p onclick="x()">Hi</p><script>alert(1)</script>', website="javascript:alert(1)",
               name="Eve\u202egnp.exe", ip="not an address")
    document["articles"][0]["url"] = "javascript:alert(2)"
    (tmp_path / "edited.json").write_text(json.dumps(document))
    restored(app, tmp_path / "edited.json")
    with app.app_context():
        comment = session().scalars(select(Comment)).one()
        assert "<script" not in comment.body_html and "onclick" not in comment.body_html
        assert comment.author_website is None and comment.ip is None and "\u202e" not in comment.author_name
    listed = app.test_client().get(f"/api/v1/articles/{row['article_id']}/comments").json
    assert "javascript:" not in json.dumps(listed)
