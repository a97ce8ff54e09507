"""`flask --app app person erase EMAIL`: a reader's personal data erased (GDPR article 17).

Every test runs on SQLite and on PostgreSQL. What erasing left is read back from every row of
every table (reflected, not taken from the models) and from a fresh crawl of the public
surfaces: nothing of the person may remain — their address, any digest of it or the tail of
one that moderators are shown, their avatar, and (for a deleted comment) their name and website.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import MetaData, select

from moderation.core.erasure import ANONYMOUS, ERASED_AVATAR, ERASED_HTML, ERASED_TEXT, Erasure, placeholders
from moderation.core.rule_input import DIGEST_SHOWN
from moderation.shared import of
from moderation.store.database import session
from moderation.store.models import AuditEntry, Block, Comment

from helpers import add_moderator, approved, csrf_from, make_app, parse, submit, text_of

ZELDA = {"email": "Zelda.Q@Example.org", "name": "Zelda Quillfeather", "website": "https://zelda-q.example"}
ADDRESS = "Zelda.Q@example.org"  # as normalized: the domain in lower case
BOB = {"email": "bob@example.org", "name": "Bob Otherperson"}


def erase(app: Flask, *args: str, answer: str | None = None) -> Any:
    """Run `person erase` with args, answering the confirmation with answer."""
    return app.test_cli_runner().invoke(args=["person", "erase", *args], input=answer)


def dump(app: Flask) -> tuple[str, bytes]:
    """Every value of every row of every table in the database, as text and as bytes."""
    engine = of(app).engine
    metadata = MetaData()
    metadata.reflect(bind=engine)
    text, blob = [], []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        blob.append(bytes(value))
                    text.append(str(value))
    return "\n".join(text), b"\n".join(blob)


def traces(app: Flask, email: str, *also: str) -> list[str]:
    """What of a person the database still holds: the address, its digests and shown tails, or also."""
    digests = of(app).vault.digests(email)
    text, blob = dump(app)
    wanted = [email.casefold(), *digests, *(f"…{digest[-DIGEST_SHOWN:]}" for digest in digests), *also]
    return [thing for thing in wanted if thing.casefold() in text.casefold() or thing.encode() in blob]


def public(client: Any, *articles: str) -> str:
    """Everything the public surfaces say about the articles: their lists and their counts."""
    pages = [client.get(f"/api/v1/articles/{article}/comments").get_data(as_text=True) for article in articles]
    query = "&".join(f"article={article}" for article in articles)
    return "\n".join([*pages, client.get(f"/api/v1/counts?{query}").get_data(as_text=True)])


def rows(app: Flask, *ids: int) -> list[tuple[Any, ...]]:
    """The comments with these ids, every column."""
    with app.app_context():
        found = session().scalars(select(Comment).where(Comment.id.in_(ids)).order_by(Comment.id))
        return [tuple(getattr(c, column.key) for column in Comment.__table__.columns) for c in found]


def audit_details(app: Flask, action: str) -> list[tuple[str | None, str, str]]:
    """(detail, moderator, via) of every audit entry of an action."""
    with app.app_context():
        entries = session().scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        return [(entry.detail, entry.moderator_name, entry.via) for entry in entries]


# (the person's comments, (reply, parent) of every reply to one of them, which must stay)
PLACEHOLDERS = [
    ({1}, [], set()),
    ({1}, [(2, 1)], {1}),  # someone else replies: it stays
    ({1, 2}, [(2, 1)], set()),  # only they reply to themselves: both go
    ({1, 2, 3}, [(2, 1), (3, 2), (4, 3)], {1, 2, 3}),  # a reply deep down keeps the whole thread above it
    ({1, 3}, [(2, 1), (3, 2)], {1}),  # their reply under someone else's goes; their comment above stays
    ({1, 5}, [(2, 1), (6, 5), (7, 5)], {1, 5}),
]


@pytest.mark.parametrize(("own", "replies", "kept"), PLACEHOLDERS)
def test_which_comments_stay_as_placeholders(own: set[int], replies: list[tuple[int, int]], kept: set[int]) -> None:
    assert placeholders(own, replies) == kept


@pytest.mark.parametrize(("erasure", "described"), [
    (Erasure(), "nothing was stored"),
    (Erasure(blocks=1), "0 comments deleted, 1 block lifted"),
    (Erasure(deleted=1, placeholders=2, blocks=2, audit_entries=1),
     "1 comment deleted, 2 kept as Anonymous, text erased, for the replies to them, 2 blocks lifted, "
     "1 audit entry made neutral"),
    (Erasure(anonymous=1), "1 kept as Anonymous with its text, 0 blocks lifted"),
])
def test_what_an_erasure_says_it_did(erasure: Erasure, described: str) -> None:
    assert erasure.describe() == described


@pytest.fixture
def scene(app: Flask, mod_client: Any, token: str) -> dict[str, Any]:
    """Zelda's comments — one with Bob's reply, one with her own, one held — with the blocks, notes
    and audit entries a moderator makes about her; and Bob's comment, which is not hers."""
    first = approved(mod_client, token, "post-1", body="Zelda's first words.", **ZELDA)
    reply = approved(mod_client, token, "post-1", body="Bob answers.", parent_id=first, **BOB)
    second = approved(mod_client, token, "post-1", body="Zelda again.", **ZELDA)
    own_reply = approved(mod_client, token, "post-1", body="Zelda answers herself.", parent_id=second, **ZELDA)
    held = submit(mod_client, "post-2", body="Zelda, held.", **ZELDA).json["id"]
    bobs = approved(mod_client, token, "post-2", body="Bob elsewhere.", **BOB)
    runner = app.test_cli_runner()
    for words in (["add", "spam", ZELDA["email"]], ["remove", "spam", ZELDA["email"]]):  # an address in the log
        assert runner.invoke(args=["words", *words]).exit_code == 0
    csrf = csrf_from(mod_client, "/moderate/")
    for kind in ("email", "ip"):  # "comment N by Zelda Quillfeather" in each block's note
        assert mod_client.post(f"/moderate/comments/{held}/block/{kind}",
                               data={"csrf_token": csrf, "return_to": "/moderate/"}).status_code == 303
    with app.app_context():
        avatars = set(session().scalars(select(Comment.avatar).where(Comment.author_name == ZELDA["name"])))
    return {"first": first, "reply": reply, "second": second, "own_reply": own_reply, "held": held, "bobs": bobs,
            "avatars": avatars}


def test_erasing_leaves_nothing_of_the_person_anywhere(app: Flask, client: Any, scene: dict[str, Any]) -> None:
    personal = [ZELDA["name"], ZELDA["website"], *scene["avatars"]]
    assert traces(app, ADDRESS, *personal) == [ADDRESS.casefold(), *of(app).vault.digests(ADDRESS),
                                               f"…{of(app).vault.digest(ADDRESS)[-DIGEST_SHOWN:]}", *personal]
    result = erase(app, ZELDA["email"], "--yes")
    assert result.exit_code == 0, result.output
    assert traces(app, ADDRESS, *personal) == []
    assert "Zelda" not in public(client, "post-1", "post-2")
    assert "Zelda" not in result.output and ADDRESS.casefold() not in result.output.casefold()


def test_a_comment_with_replies_stays_as_a_placeholder_and_its_replies_keep_their_place(
        app: Flask, client: Any, scene: dict[str, Any]) -> None:
    bobs_before = rows(app, scene["reply"], scene["bobs"])
    assert erase(app, ADDRESS, "--yes").exit_code == 0
    listed = client.get("/api/v1/articles/post-1/comments").json
    assert [(c["id"], c["parent_id"]) for c in listed["comments"]] == [(scene["first"], None),
                                                                        (scene["reply"], scene["first"])]
    placeholder = listed["comments"][0]
    assert placeholder["author"] == {"name": ANONYMOUS, "website": None, "avatar": f"/avatars/{ERASED_AVATAR}.svg"}
    assert placeholder["html"] == ERASED_HTML and listed["count"] == 2
    assert rows(app, scene["reply"], scene["bobs"]) == bobs_before  # other people's comments untouched
    assert rows(app, scene["second"], scene["own_reply"], scene["held"]) == []
    assert client.get("/api/v1/counts?article=post-1&article=post-2").json["counts"] == {"post-1": 2, "post-2": 1}
    assert client.get(f"/avatars/{ERASED_AVATAR}.svg").status_code == 200


def test_the_erased_columns_hold_nothing_of_the_person(app: Flask, scene: dict[str, Any]) -> None:
    assert erase(app, ADDRESS, "--yes").exit_code == 0
    with app.app_context():
        kept = session().get(Comment, scene["first"])
        assert kept is not None
        assert (kept.status, kept.author_name, kept.author_website, kept.ip, kept.commenter_key_hash) == (
            "approved", ANONYMOUS, None, None, None)
        assert (kept.email_sealed, kept.email_key_id, kept.email_digest, kept.avatar) == (b"", "", "", ERASED_AVATAR)
        assert (kept.body_text, kept.body_html, kept.body_digest) == (ERASED_TEXT, ERASED_HTML, "")


def test_each_changed_article_gets_a_new_public_etag(app: Flask, client: Any, scene: dict[str, Any]) -> None:
    before = {article: client.get(f"/api/v1/articles/{article}/comments").headers["ETag"]
              for article in ("post-1", "post-2", "untouched")}
    assert erase(app, ADDRESS, "--yes").exit_code == 0
    for article, etag in before.items():
        again = client.get(f"/api/v1/articles/{article}/comments", headers={"If-None-Match": etag})
        # post-2 held only a pending comment of hers: its public list did not change.
        assert again.status_code == (200 if article == "post-1" else 304), article


def test_blocks_are_lifted_and_the_audit_log_keeps_counts_only(app: Flask, scene: dict[str, Any]) -> None:
    result = erase(app, ADDRESS, "--yes")
    assert "1 block lifted" in result.output and "no longer blocked" in result.output
    with app.app_context():
        assert session().scalars(select(Block.kind)).all() == ["ip"]  # the IP block is not the address's
        assert session().scalars(select(Block.note)).all() == [f"comment {scene['held']} (author erased)"]
    [(detail, moderator, via)] = audit_details(app, "person_erased")
    assert (moderator, via) == ("command line", "cli")
    assert detail == ("3 comments deleted, 1 kept as Anonymous, text erased, for the replies to it, "
                      "1 block lifted, 3 audit entries made neutral")
    assert [entry[0] for entry in audit_details(app, "blocked")] == [
        "email (erased)", f"127.0.0.1/32; note: comment {scene['held']} (author erased)"]
    assert [entry[0] for entry in audit_details(app, "word_added") + audit_details(app, "word_removed")] == [
        "email (erased)", "email (erased)"]


def test_keep_text_keeps_every_comment_as_anonymous(app: Flask, client: Any, scene: dict[str, Any]) -> None:
    result = erase(app, ADDRESS, "--yes", "--keep-text")
    assert result.exit_code == 0 and "4 kept as Anonymous with their text" in result.output
    assert traces(app, ADDRESS, ZELDA["name"], ZELDA["website"], *scene["avatars"]) == []
    listed = client.get("/api/v1/articles/post-1/comments").json["comments"]
    assert [(c["id"], c["parent_id"], c["author"]["name"], re.sub("<[^>]+>", "", c["html"])) for c in listed] == [
        (scene["first"], None, ANONYMOUS, "Zelda's first words."), (scene["reply"], scene["first"], BOB["name"],
                                                                    "Bob answers."),
        (scene["second"], None, ANONYMOUS, "Zelda again."), (scene["own_reply"], scene["second"], ANONYMOUS,
                                                             "Zelda answers herself.")]
    with app.app_context():
        held = session().get(Comment, scene["held"])
        assert held is not None and (held.status, held.body_text, held.ip) == ("spam", "Zelda, held.", None)


def test_comments_under_a_retired_key_are_found_and_erased(database_url: str) -> None:
    before = make_app(database_url)
    token = add_moderator(before)
    first = approved(before.test_client(), token, "post-1", body="Before the new key.", **ZELDA)
    assert before.test_cli_runner().invoke(args=["blocks", "add", "email", ADDRESS]).exit_code == 0
    after = make_app(database_url, SECRET_KEY="a brand new secret", OLD_SECRET_KEYS=before.config["SECRET_KEY"])
    second = approved(after.test_client(), token, "post-1", body="After it.", **ZELDA)
    with after.app_context():
        assert len(set(of(after).vault.digests(ADDRESS))) == 2
    result = erase(after, ADDRESS, "--yes")
    assert result.exit_code == 0 and "2 comments deleted" in result.output and "1 block lifted" in result.output
    assert rows(after, first, second) == []
    assert traces(after, ADDRESS, ZELDA["name"]) == []


def test_refusing_the_confirmation_changes_nothing(app: Flask, scene: dict[str, Any]) -> None:
    before = dump(app)
    result = erase(app, ADDRESS, answer="n\n")
    assert result.exit_code == 1
    assert "Stored about this address: 4 comments and 1 block." in result.output
    assert "3 comments deleted, 1 kept as Anonymous" in result.output
    assert dump(app) == before


def test_the_confirmation_says_what_it_found_then_erases(app: Flask, scene: dict[str, Any]) -> None:
    result = erase(app, ADDRESS, answer="y\n")
    assert result.exit_code == 0, result.output
    assert result.output.index("Stored about this address") < result.output.index("Erased: 3 comments deleted")


def test_an_address_with_nothing_stored(app: Flask, client: Any) -> None:
    bobs = submit(client, **BOB).json["id"]
    before = rows(app, bobs)
    result = erase(app, "nobody@example.org")
    assert result.exit_code == 0
    assert "Nothing is stored about this address" in result.output
    assert rows(app, bobs) == before
    assert audit_details(app, "person_erased") == [("nothing was stored", "command line", "cli")]


@pytest.mark.parametrize("typed", ["not an address", "zelda@", "@example.org", "zelda@localhost", ""])
def test_a_malformed_address_is_refused(app: Flask, typed: str) -> None:
    result = erase(app, typed, "--yes")
    assert result.exit_code == 2
    assert "EMAIL" in result.output and "Traceback" not in result.output
    assert audit_details(app, "person_erased") == []


def test_moderators_see_an_erased_comment_without_anything_breaking(app: Flask, mod_client: Any, token: str,
                                                                   scene: dict[str, Any]) -> None:
    assert erase(app, ADDRESS, "--yes").exit_code == 0
    page = mod_client.get("/moderate/?status=approved")
    assert page.status_code == 200
    entry = parse(page).find(f".//article[@id='c-{scene['first']}']")
    assert text_of(entry.find(".//dd[@class='email']")) == "(erased)"
    assert "Block email" not in text_of(entry) and "Block IP" not in text_of(entry)
    assert mod_client.get(f"/moderate/comments/{scene['first']}/edit").status_code == 200
    queue = mod_client.get("/api/v1/moderation/queue?status=approved",
                           headers={"Authorization": f"Bearer {token}"}).json["comments"]
    erased = next(c for c in queue if c["id"] == scene["first"])
    assert (erased["email"], erased["ip"], erased["author"]["name"]) == (None, None, ANONYMOUS)
    search = mod_client.get("/moderate/", query_string={"status": "approved", "q": ADDRESS})
    assert search.status_code == 200 and f"c-{scene['first']}" not in search.get_data(as_text=True)
    refused = mod_client.post(f"/moderate/comments/{scene['first']}/block/email",
                              data={"csrf_token": csrf_from(mod_client, "/moderate/"), "return_to": "/moderate/"})
    assert refused.status_code == 422
    with app.app_context():
        assert session().scalars(select(Block.kind)).all() == ["ip"]
    exported = app.test_cli_runner().invoke(args=["person", "export", ADDRESS])
    assert exported.exit_code == 0 and '"comments": []' in exported.output
