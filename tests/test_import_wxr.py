"""`flask --app app import wxr`: a WordPress 6.x export comes in whole, once, safely.

The sample is written the way WordPress's export.php writes it (tests/data/make_import_samples.py):
threads four deep, every state, pings, trash, hostile HTML, an invalid email, a zero GMT date,
a "]]>" split across CDATA sections. On SQLite and PostgreSQL, through the real command.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from moderation.shared import of
from moderation.store import imports
from moderation.store.database import session
from moderation.store.models import Article, AuditEntry, Comment
from moderation.transfer import wxr

from helpers import make_app, submit

SITE = "wxr:https://news.example.org#"


def stored(app: Flask) -> dict[int, Comment]:
    """The imported comments by their WordPress id."""
    with app.app_context():
        return {int(c.source.rsplit("#", 1)[1]): c for c in session().scalars(select(Comment)) if c.source}


def run(app: Flask, *args: str) -> Any:
    """The import command's result."""
    return app.test_cli_runner().invoke(args=["import", "wxr", *args])


def test_a_wordpress_export_comes_in_with_threads_states_dates_and_people(app: Flask, import_samples: Any) -> None:
    result = run(app, str(import_samples.wxr))
    assert result.exit_code == 0, result.output
    assert "Comments imported: 10 approved, 2 pending, 1 spam." in result.output
    assert "Articles: 3 (3 new)." in result.output
    for line in ("Skipped, in the trash: 1.", "Skipped, a pingback: 1.", "Skipped, a trackback: 1.",
                 "Replies kept at the top level (their parent was skipped or is missing): 1.",
                 "Comments without a valid email address (imported without one): 1."):
        assert line in result.output
    found = stored(app)
    assert sorted(found) == [1, 2, 3, 4, 5, 7, 10, 11, 12, 13, 14, 15, 16]
    parents = {number: c.parent_id for number, c in found.items()}
    assert parents[2] == found[1].id and parents[3] == found[2].id and parents[4] == found[3].id
    assert parents[14] == found[11].id and parents[16] == found[15].id and parents[7] is None  # 6 is in the trash
    assert {n: c.status for n, c in found.items() if c.status != "approved"} == {4: "pending", 5: "spam",
                                                                               16: "pending"}
    assert found[1].created_at == datetime(2026, 11, 2, 10, 15, tzinfo=timezone.utc)  # comment_date_gmt
    assert found[12].created_at == datetime(2009, 5, 1, 14, 30, tzinfo=timezone.utc)  # comment_date, no GMT one
    assert found[3].author_name == "Chloé Dubois-Ångström" and found[3].ip == "2001:db8::7"
    assert "]]>" in found[13].body_text and "a[b[0]]>c" in found[13].body_text
    assert found[10].body_html.startswith("<p>Nice</p>")  # the attribute dropped; the rest shown as text
    for hostile in ("<script", "onclick", "<img"):
        assert hostile not in found[10].body_html
    vault = of(app).vault
    assert vault.open(found[1].email_sealed, found[1].email_key_id) == "alice@example.org"
    assert found[1].email_digest == vault.digest("alice@example.org")
    assert vault.open(found[11].email_sealed, found[11].email_key_id) == ""  # "not-an-email": kept without it
    with app.app_context():
        harbour = session().get(Article, "101")
        assert harbour and harbour.title == "Harbour reopens after storm" and harbour.version > 0
        assert harbour.url and harbour.url.endswith("/2026/11/harbour-reopens-after-storm/")
        assert harbour.opened_at == datetime(2026, 11, 2, 10, 15, tzinfo=timezone.utc)
        [entry] = session().scalars(select(AuditEntry).where(AuditEntry.action == "imported"))
        assert entry.detail and entry.detail.startswith("WordPress: 10 approved, 2 pending, 1 spam")


def test_the_public_list_shows_the_imported_thread(app: Flask, import_samples: Any) -> None:
    run(app, str(import_samples.wxr))
    listed = app.test_client().get("/api/v1/articles/101/comments").json
    assert [c["author"]["name"] for c in listed["comments"]] == ["Alice Archer", "Bob", "Chloé Dubois-Ångström",
                                                                 "Eve", "Mallory"]
    assert listed["count"] == 5 and "alice@example.org" not in str(listed)


def test_importing_the_same_file_again_adds_nothing(app: Flask, import_samples: Any) -> None:
    run(app, str(import_samples.wxr))
    before = stored(app)
    again = run(app, str(import_samples.wxr))
    assert again.exit_code == 0 and "Comments imported: none." in again.output
    assert "Already imported before, left as they are: 13." in again.output
    assert {n: (c.id, c.parent_id) for n, c in stored(app).items()} == {n: (c.id, c.parent_id)
                                                                        for n, c in before.items()}


def test_a_dry_run_reports_the_same_and_changes_nothing(app: Flask, import_samples: Any) -> None:
    dry = run(app, str(import_samples.wxr), "--dry-run")
    assert dry.exit_code == 0 and dry.output.startswith("Dry run, nothing was changed. ")
    assert "Comments would be imported: 10 approved, 2 pending, 1 spam." in dry.output
    assert "Articles: 3 (3 new)." in dry.output
    with app.app_context():
        assert session().scalar(select(func.count()).select_from(Comment)) == 0
        assert session().scalar(select(func.count()).select_from(Article)) == 0


def test_slugs_as_article_ids_and_pings_when_asked(app: Flask, import_samples: Any) -> None:
    result = run(app, str(import_samples.wxr), "--article-id", "slug", "--include-pings")
    assert "Comments imported: 12 approved, 2 pending, 1 spam." in result.output
    with app.app_context():
        assert sorted(session().scalars(select(Article.id))) == ["about", "cafe-unicode-new-owners",
                                                                 "harbour-reopens-after-storm"]


def test_an_imported_reader_is_the_same_person_for_blocks_and_their_data(app: Flask, import_samples: Any) -> None:
    run(app, str(import_samples.wxr))
    runner = app.test_cli_runner()
    assert '"id": "101"' in runner.invoke(args=["person", "export", "alice@example.org"]).output
    assert runner.invoke(args=["blocks", "add", "email", "alice@example.org"]).exit_code == 0
    refused = submit(app.test_client(), article="101", email="alice@example.org", body="Back again.")
    assert refused.status_code in (201, 202)
    with app.app_context():
        assert session().get(Comment, refused.json["id"]).status == "spam"  # the block holds


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_file.xml", "external_http.xml",
                                  "parameter_entity.xml", "external_dtd.xml", "wrong_root.xml", "not_xml.bin",
                                  "empty.xml"])
def test_a_file_that_is_no_export_or_is_hostile_is_refused(app: Flask, import_samples: Any, name: str) -> None:
    result = run(app, str(import_samples.hostile[name]))
    assert result.exit_code == 2, result.output
    assert "root:" not in result.output and "lol" not in result.output
    with app.app_context():
        assert session().scalar(select(func.count()).select_from(Comment)) == 0


def test_a_bad_item_is_reported_with_its_place_and_the_rest_comes_in(app: Flask, import_samples: Any,
                                                                   tmp_path: Path) -> None:
    text = import_samples.wxr.read_text(encoding="utf-8")
    broken = tmp_path / "broken.xml"
    # Comment 15's dates made nonsense; the state of comment 16 made unknown.
    text = text.replace("<wp:comment_id>15</wp:comment_id>", "<wp:comment_id>15</wp:comment_id>", 1)
    text = text.replace("2026-11-08 10:00:00", "yesterday-ish").replace("2026-11-08 11:00:00", "later")
    broken.write_text(text.replace("<wp:comment_approved><![CDATA[0]]></wp:comment_approved>\n\t\t\t"
                                   "<wp:comment_type><![CDATA[comment]]></wp:comment_type>\n\t\t\t"
                                   "<wp:comment_parent>15</wp:comment_parent>",
                                   "<wp:comment_approved><![CDATA[maybe]]></wp:comment_approved>\n\t\t\t"
                                   "<wp:comment_type><![CDATA[comment]]></wp:comment_type>\n\t\t\t"
                                   "<wp:comment_parent>15</wp:comment_parent>"), encoding="utf-8")
    result = run(app, str(broken))
    assert result.exit_code == 0, result.output
    assert re.search(r"item 3 \(line \d+, post 7\), comment 15: its date could not be read", result.output)
    assert re.search(r"item 3 \(line \d+, post 7\), comment 16: its state 'maybe' is none of 1, 0, spam, trash",
                     result.output)
    assert sorted(stored(app)) == [1, 2, 3, 4, 5, 7, 10, 11, 12, 13, 14]


def test_a_file_cut_short_keeps_what_came_before_and_says_where(app: Flask, import_samples: Any,
                                                              tmp_path: Path) -> None:
    text = import_samples.wxr.read_text(encoding="utf-8")
    cut = tmp_path / "cut.xml"
    cut.write_text(text[:text.index("<wp:comment_id>12</wp:comment_id>")], encoding="utf-8")
    result = run(app, str(cut))
    assert result.exit_code == 0 and "the file is not well-formed XML from here on" in result.output
    assert sorted(stored(app)) == [1, 2, 3, 4, 5, 7, 10]  # the whole posts before the cut


def test_an_interrupted_import_run_again_completes_once(database_url: str, import_samples: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(database_url)
    monkeypatch.setattr(imports, "BATCH", 3)

    def dies_after(count: int) -> Any:
        for number, record in enumerate(wxr.parse(str(import_samples.wxr))):
            if number == count:
                raise KeyboardInterrupt  # the operator's ^C, or the machine going down
            yield record

    with app.app_context(), pytest.raises(KeyboardInterrupt):
        imports.Importer(of(app).vault, datetime.now(timezone.utc)).feed(dies_after(9))
    part = stored(app)
    assert part and len(part) < 13  # whole batches only
    assert run(app, str(import_samples.wxr)).exit_code == 0
    found = stored(app)
    assert sorted(found) == [1, 2, 3, 4, 5, 7, 10, 11, 12, 13, 14, 15, 16]
    assert found[2].parent_id == found[1].id and found[4].parent_id == found[3].id
    assert found[16].parent_id == found[15].id and found[14].parent_id == found[11].id


def test_rendering_in_a_pool_of_processes_stores_the_same(tmp_path: Path, import_samples: Any) -> None:
    stores = []
    for jobs in ("1", "2"):
        app = make_app(f"sqlite:///{tmp_path}/jobs{jobs}.sqlite3")
        assert run(app, str(import_samples.wxr), "--jobs", jobs).exit_code == 0
        stores.append({n: (c.body_html, c.parent_id, c.status) for n, c in stored(app).items()})
    assert stores[0] == stores[1] and len(stores[0]) == 13


class Trickle:
    """A binary file that hands out at most `size` bytes a read: every chunk boundary gets tried."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size = data, size

    def read(self, wanted: int = -1) -> bytes:
        """The next few bytes."""
        piece, self.data = self.data[:self.size], self.data[self.size:]
        return piece


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 64, 100_000])
def test_bare_ampersands_are_escaped_outside_cdata_only_wherever_the_chunks_break(size: int) -> None:
    from moderation.transfer.ampersands import BareAmpersands

    raw = (b'<u>https://x.example/?a=1&b=2&amp;c=&#38;&#x26;d</u><t><![CDATA[Tom & Jerry &amp; co]]></t>'
           b"<v>&lt;&</v><![CDATA[&]]><w>caf\xc3\xa9 & more</w>") * 3
    expected = (b'<u>https://x.example/?a=1&amp;b=2&amp;c=&#38;&#x26;d</u><t><![CDATA[Tom & Jerry &amp; co]]></t>'
                b"<v>&lt;&amp;</v><![CDATA[&]]><w>caf\xc3\xa9 &amp; more</w>") * 3
    reader = BareAmpersands(Trickle(raw, size))
    out = b"".join(iter(lambda: reader.read(size), b""))
    assert out == expected and reader.repaired == 9


def test_an_author_url_with_a_bare_ampersand_does_not_stop_the_import(app: Flask, import_samples: Any,
                                                                     tmp_path: Path) -> None:
    text = import_samples.wxr.read_text(encoding="utf-8")
    broken = tmp_path / "ampersand.xml"
    # WordPress writes comment_author_url without CDATA or escaping: this is what its export looks like.
    broken.write_text(text.replace("https://alice.example.net", "https://alice.example.net/?a=1&b=2", 1),
                      encoding="utf-8")
    result = run(app, str(broken))
    assert result.exit_code == 0 and "Comments imported: 10 approved, 2 pending, 1 spam." in result.output
    assert stored(app)[1].author_website == "https://alice.example.net/?a=1&b=2"
