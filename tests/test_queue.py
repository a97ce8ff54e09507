"""The moderators' web queue over HTTP: log-in and sessions, CSRF, the queue, actions, audit.

Every test here runs on SQLite and on PostgreSQL (the `app` fixture). Results are read
back through the token API, the database or the pages themselves, never assumed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, update

from moderation.shared import of
from moderation.store import queue as queue_store
from moderation.store.database import session
from moderation.store.models import AuditEntry, Comment, ModeratorSession

from helpers import (
    MODERATOR_PASSWORD,
    add_moderator,
    approved,
    assert_nothing_runs,
    csrf_from,
    log_in,
    make_app,
    moderate,
    parse,
    payloads,
    submit,
    text_of,
)


def row_ids(response: Any) -> list[int]:
    """The ids of the comments listed on a queue page, in order."""
    return [int(article.get("data-id")) for article in parse(response).iter("article")]


def status_of(app: Any, comment_id: int) -> str | None:
    """A comment's stored state, or None when it is gone."""
    with app.app_context():
        return session().scalar(select(Comment.status).where(Comment.id == comment_id))


def queue_text(app: Any, comment_id: int) -> str:
    """A comment's stored text."""
    with app.app_context():
        return session().scalar(select(Comment.body_text).where(Comment.id == comment_id))


def audit_rows(app: Any) -> list[tuple[str, str, int | None, str | None, str]]:
    """(moderator, action, comment, article, via) of every audit entry, oldest first."""
    with app.app_context():
        entries = session().scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.moderator_name, e.action, e.comment_id, e.article_id, e.via) for e in entries]


def pending(client: Any, count: int, article: str = "12345", **fields: Any) -> list[int]:
    """Submit count comments (each different) and return their ids."""
    ids = []
    for number in range(count):
        response = submit(client, article, body=f"Comment number {number} {fields.pop('tag', '')}", **fields)
        assert response.status_code == 202, response.json
        ids.append(response.json["id"])
    return ids


def post(client: Any, path: str, data: dict[str, Any] | None = None, page: str = "/moderate/",
         **kwargs: Any) -> Any:
    """POST a moderator form with the CSRF token taken from page."""
    return client.post(path, data={"csrf_token": csrf_from(client, page), **(data or {})}, **kwargs)


# --- Log-in, log-out, sessions ----------------------------------------------------------

@pytest.mark.parametrize("path", ["/moderate/", "/moderate/?status=spam", "/moderate/audit", "/moderate/articles",
                                  "/moderate/password", "/moderate/comments/1/edit"])
def test_pages_need_a_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/moderate/login?next=")


@pytest.mark.parametrize(("name", "password", "status"), [
    ("mod", MODERATOR_PASSWORD, 303),
    ("mod", MODERATOR_PASSWORD.upper(), 401),
    ("mod", "", 401),
    ("mod", MODERATOR_PASSWORD + " ", 401),
    ("nobody", MODERATOR_PASSWORD, 401),
    ("MOD", MODERATOR_PASSWORD, 401),
    ("", "", 401),
    ("mod", "x" * 2000, 401),
])
def test_log_in(app, client, moderator, name, password, status):
    response = log_in(client, name, password)
    assert response.status_code == status
    after = client.get("/moderate/")
    if status == 303:
        assert after.status_code == 200
    else:
        assert "Wrong name or password." in response.get_data(as_text=True)
        assert after.status_code == 303


@pytest.mark.parametrize(("next_path", "landing"), [
    ("/moderate/audit?action=edited", "/moderate/audit?action=edited"),
    ("https://evil.example/moderate/", "/moderate/"),
    ("//evil.example/", "/moderate/"),
])
def test_log_in_goes_back_where_the_moderator_was_headed(client, moderator, next_path, landing):
    first = client.get("/moderate/login", query_string={"next": next_path})
    token = re.search(r'name="csrf_token" value="([^"]+)"', first.get_data(as_text=True)).group(1)
    response = client.post("/moderate/login", data={"name": "mod", "password": MODERATOR_PASSWORD,
                                                    "next": next_path, "csrf_token": token})
    assert response.headers["Location"] == landing


@pytest.mark.parametrize("scope", ["address", "name"])
def test_failed_log_ins_are_rate_limited(database_url, scope):
    app = make_app(database_url, LOGIN_RATELIMIT="3/minute")
    add_moderator(app)
    add_moderator(app, "other")
    client = app.test_client()

    def attempt(number: int, password: str, name: str = "mod") -> Any:
        # By address: one address tries several names. By name: several addresses try one name.
        address = "203.0.113.7" if scope == "address" else f"198.51.100.{number}"
        name = f"{name}{number}" if scope == "address" and password != MODERATOR_PASSWORD else name
        return log_in(client, name, password, environ_base={"REMOTE_ADDR": address})

    for number in range(3):
        assert attempt(number, "wrong password").status_code == 401
    if scope == "name":  # a name's limit binds only an address with failures of its own
        assert log_in(client, "nobody", "wrong", environ_base={"REMOTE_ADDR": "198.51.100.3"}).status_code == 401
    refused = attempt(3, MODERATOR_PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed log-ins" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/moderate/").status_code == 303  # the right password did not get in
    fresh = app.test_client()
    assert log_in(fresh, "other", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 303
    of(app).engine.dispose()


def test_successful_log_ins_are_not_counted(database_url):
    app = make_app(database_url, LOGIN_RATELIMIT="2/minute")
    add_moderator(app)
    for _ in range(4):
        assert log_in(app.test_client()).status_code == 303
    of(app).engine.dispose()


@pytest.mark.parametrize(("base_url", "headers", "settings", "secure"), [
    ("http://localhost", {}, {}, False),
    ("https://localhost", {"Referer": "https://localhost/moderate/login"}, {}, True),
    ("http://localhost", {}, {"SESSION_COOKIE_SECURE": "true"}, True),
    ("http://localhost", {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.1",
                          "Referer": "https://localhost/moderate/login"}, {"TRUSTED_PROXIES": 1}, True),
    ("http://localhost", {"X-Forwarded-Proto": "https"}, {}, False),  # an untrusted header changes nothing
])
def test_session_cookie_flags(database_url, base_url, headers, settings, secure):
    app = make_app(database_url, **settings)
    add_moderator(app)
    response = log_in(app.test_client(), base_url=base_url, headers=headers)
    assert response.status_code == 303
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("moderation_session="))
    flags = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert flags["samesite"].strip() == "SameSite=Lax"
    assert flags["path"].strip() == "Path=/moderate/"  # never sent to the public API
    assert "expires" in flags  # the browser forgets it too, after SESSION_MAX_HOURS
    assert ("secure" in flags) is secure
    of(app).engine.dispose()


def test_log_out_ends_the_session_even_for_a_kept_copy_of_the_cookie(app, mod_client):
    kept = mod_client.get_cookie("moderation_session", path="/moderate/").value
    response = post(mod_client, "/moderate/logout")
    assert response.status_code == 303
    assert mod_client.get("/moderate/").status_code == 303
    thief = app.test_client()
    thief.set_cookie("moderation_session", kept, path="/moderate/")
    assert thief.get("/moderate/").status_code == 303


@pytest.mark.parametrize("how", ["web", "cli"])
def test_a_password_change_ends_other_sessions(app, mod_client, how):
    other = app.test_client()
    assert log_in(other).status_code == 303
    if how == "web":
        response = post(mod_client, "/moderate/password", {"current_password": MODERATOR_PASSWORD,
                                                           "new_password": "a new passphrase",
                                                           "confirm": "a new passphrase"})
        assert response.status_code == 303
        assert mod_client.get("/moderate/").status_code == 200  # this browser stays in
        assert audit_rows(app)[-1][:2] == ("mod", "password")
    else:
        result = app.test_cli_runner().invoke(args=["create-moderator", "mod", "--password-stdin"],
                                              input="a new passphrase\n")
        assert result.exit_code == 0, result.output
        assert mod_client.get("/moderate/").status_code == 303
    assert other.get("/moderate/").status_code == 303
    assert log_in(app.test_client()).status_code == 401
    assert log_in(app.test_client(), password="a new passphrase").status_code == 303


@pytest.mark.parametrize(("form", "field"), [
    ({"current_password": "wrong", "new_password": "a new passphrase", "confirm": "a new passphrase"},
     "current_password"),
    ({"current_password": MODERATOR_PASSWORD, "new_password": "short", "confirm": "short"}, "new_password"),
    ({"current_password": MODERATOR_PASSWORD, "new_password": "a new passphrase", "confirm": "a new"}, "confirm"),
])
def test_a_refused_password_change_changes_nothing(app, mod_client, form, field):
    response = post(mod_client, "/moderate/password", form, page="/moderate/password")
    assert response.status_code == 422
    assert parse(response).find(f".//input[@id='{field}'][@aria-invalid='true']") is not None
    assert log_in(app.test_client()).status_code == 303


@pytest.mark.parametrize("expiry", ["idle", "absolute"])
def test_sessions_expire(app, mod_client, expiry):
    assert mod_client.get("/moderate/").status_code == 200
    long_ago = datetime.now(timezone.utc) - timedelta(hours=13)
    if expiry == "idle":
        with mod_client.session_transaction("/moderate/") as cookie_session:
            cookie_session["seen"] = int((datetime.now(timezone.utc) - timedelta(minutes=121)).timestamp())
    else:
        with app.app_context():
            from moderation.store.database import writing

            with writing() as db:
                db.execute(update(ModeratorSession).values(created_at=long_ago))
    assert mod_client.get("/moderate/").status_code == 303


def test_an_ended_session_tells_the_script_to_log_in_again(app, mod_client):
    token = csrf_from(mod_client, "/moderate/")
    with app.app_context():
        from moderation.store.database import writing

        with writing() as db:
            db.execute(update(ModeratorSession).values(password_fp="changed elsewhere"))
    response = mod_client.post("/moderate/bulk", data={"csrf_token": token, "action": "approve", "ids": "1"},
                               headers={"Accept": "application/json"})
    assert response.status_code == 401


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("LOGIN_RATELIMIT", "10/minute;50/hour", "10/minute;50/hour"),
    ("LOGIN_RATELIMIT", "0", ""),
    ("LOGIN_RATELIMIT", "lots", None),
    ("SESSION_IDLE_MINUTES", "30", 30),
    ("SESSION_IDLE_MINUTES", "0", None),
    ("SESSION_MAX_HOURS", 24, 24),
    ("SESSION_MAX_HOURS", "-1", None),
    ("SESSION_COOKIE_SECURE", "true", True),
    ("SESSION_COOKIE_SECURE", "0", False),
    ("SESSION_COOKIE_SECURE", True, True),
    ("SESSION_COOKIE_SECURE", "maybe", None),
])
def test_web_queue_settings(tmp_path, name, value, expected):
    from moderation import create_app
    from moderation.settings import SettingsError

    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'settings.sqlite3'}", "SECRET_KEY": "k", name: value}
    if expected is None:
        with pytest.raises(SettingsError, match=f"^MODERATION_{name}: "):
            create_app(config)
    else:
        app = create_app(config)
        assert app.config[name] == expected
        of(app).engine.dispose()


# --- CSRF and the Origin check --------------------------------------------------------------

ATTACKS = {
    "no token": ({}, None),
    "no token, from another site": ({"Origin": "https://evil.example"}, None),
    "a forged token": ({}, "IjAwMDAi.aaaaaa.forged"),
    "a token from another session": ({}, "other session"),
    "a good token, from another site": ({"Origin": "https://evil.example"}, "good"),
    "a good token, from an opaque origin": ({"Origin": "null"}, "good"),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_cross_site_post_changes_nothing(app, mod_client, moderator, attack):
    headers, token = ATTACKS[attack]
    comment_id = pending(mod_client, 1)[0]
    if token == "good":
        token = csrf_from(mod_client, "/moderate/")
    elif token == "other session":
        token = csrf_from(app.test_client())
    data = {"return_to": "/moderate/"} | ({"csrf_token": token} if token else {})
    response = mod_client.post(f"/moderate/comments/{comment_id}/approve", data=data, headers=headers)
    assert response.status_code in (400, 403)
    assert "internal_error" not in response.get_data(as_text=True)
    code = parse(response).find(".//code").text
    assert code == ("cross_site" if token and "Origin" in headers and token != "IjAwMDAi.aaaaaa.forged"
                    else "csrf_failed")
    assert status_of(app, comment_id) == "pending"
    assert audit_rows(app) == []
    # The same request from the page itself goes through: the test above can fail.
    same = mod_client.post(f"/moderate/comments/{comment_id}/approve",
                           data={"csrf_token": csrf_from(mod_client, "/moderate/")},
                           headers={"Origin": "http://localhost"})
    assert same.status_code == 303
    assert status_of(app, comment_id) == "approved"


@pytest.mark.parametrize(("path", "form"), [
    ("/moderate/login", {"name": "mod", "password": MODERATOR_PASSWORD}),
    ("/moderate/logout", {}),
    ("/moderate/password", {"current_password": MODERATOR_PASSWORD, "new_password": "another passphrase",
                            "confirm": "another passphrase"}),
    ("/moderate/comments/{id}/approve", {}),
    ("/moderate/comments/{id}/delete", {"confirm": "yes"}),
    ("/moderate/bulk", {"action": "spam", "ids": "{id}"}),
    ("/moderate/comments/{id}/edit", {"body": "Rewritten by someone else"}),
    ("/moderate/articles/12345/close", {}),
])
def test_every_moderator_post_needs_the_token(app, mod_client, path, form):
    comment_id = pending(mod_client, 1)[0]
    path = path.replace("{id}", str(comment_id))
    form = {key: value.replace("{id}", str(comment_id)) for key, value in form.items()}
    response = mod_client.post(path, data=form)
    assert response.status_code == 400
    assert parse(response).find(".//code").text == "csrf_failed"
    assert status_of(app, comment_id) == "pending"
    assert audit_rows(app) == []
    assert submit(mod_client, body="The article is still open.").status_code == 202
    assert mod_client.get("/moderate/").status_code == 200  # still logged in, same password


# --- What every moderator page shows, and never runs -----------------------------------------

def bodies(limit: int = 4900) -> list[str]:
    """The corpus packed into comment bodies of at most limit characters."""
    packed, current = [], ""
    for payload in payloads():
        payload = payload[:limit]
        if len(current) + len(payload) + 2 > limit:
            packed.append(current)
            current = ""
        current += payload + "\n\n"
    return packed + [current]


HOSTILE_NAME = "<script>alert('name')</script>"
HOSTILE_TITLE = "<img src=x onerror=alert('title')>"
HOSTILE_MODERATOR = "<svg onload=alert(1)>"
TEXTAREA_BREAKOUT = "</textarea><script>alert('edit')</script>"


def test_html_and_script_payloads_show_up_escaped_on_every_moderator_page(app, mod_client, moderator):
    hostile_token = add_moderator(app, HOSTILE_MODERATOR)
    parent = approved(mod_client, moderator, body=TEXTAREA_BREAKOUT, name=HOSTILE_NAME,
                      article_title=HOSTILE_TITLE, article_url="http://localhost/p?a=%3Cb%3E")
    ids = [submit(mod_client, body=body, name=HOSTILE_NAME, website="https://x.example/?q=javascript:alert(1)",
                  parent_id=parent, article_title=HOSTILE_TITLE).json["id"] for body in bodies()]
    assert all(ids) and len(ids) >= 3
    assert moderate(mod_client, hostile_token, ids[-1], "spam").status_code == 200
    invalid_edit = post(mod_client, f"/moderate/comments/{ids[0]}/edit", {"body": TEXTAREA_BREAKOUT + "\x07"})
    assert invalid_edit.status_code == 422
    pages = {
        "queue": mod_client.get("/moderate/?limit=200"),
        "approved": mod_client.get("/moderate/?status=approved"),
        "spam": mod_client.get("/moderate/?status=spam"),
        "search": mod_client.get("/moderate/", query_string={"q": "\"><script>alert('q')</script>"}),
        "edit": mod_client.get(f"/moderate/comments/{parent}/edit"),
        "invalid edit": invalid_edit,
        "confirm delete": post(mod_client, "/moderate/bulk", {"action": "delete", "ids": [str(i) for i in ids]}),
        "articles": mod_client.get("/moderate/articles"),
        "audit": mod_client.get("/moderate/audit"),
        "audit by moderator": mod_client.get("/moderate/audit", query_string={"moderator": HOSTILE_MODERATOR}),
    }
    shown = {name: text_of(assert_nothing_runs(response)) for name, response in pages.items()}
    for name in ("queue", "spam", "confirm delete"):
        assert HOSTILE_NAME in shown[name]
    for name in ("queue", "articles", "approved"):
        assert HOSTILE_TITLE in shown[name]
    for name in ("audit", "audit by moderator"):
        assert HOSTILE_MODERATOR in shown[name]
    assert "<script>alert(1)</script>" in shown["queue"]  # the first payload, as text
    assert TEXTAREA_BREAKOUT in shown["queue"]  # the parent, quoted under each reply
    assert parse(pages["edit"]).find(".//textarea").text == TEXTAREA_BREAKOUT
    assert parse(invalid_edit).find(".//textarea").text == TEXTAREA_BREAKOUT + "\x07"
    assert parse(pages["search"]).find(".//input[@id='q']").get("value") == "\"><script>alert('q')</script>"
    assert all(status_of(app, comment_id) == "pending" for comment_id in ids[:-1])


# --- The queue ------------------------------------------------------------------------------------

def test_a_row_shows_what_a_moderator_needs(app, mod_client, moderator):
    parent = approved(mod_client, moderator, body="The parent comment.", name="Parent Poster")
    reply = submit(mod_client, name="Bea Writer", email="Bea@Example.org", website="bea.example",
                   body="First line\n\n<em>second</em> para", parent_id=parent,
                   article_title="A Post", article_url="http://localhost/a-post").json["id"]
    page = parse(mod_client.get("/moderate/"))
    row = page.find(f".//article[@id='c-{reply}']")
    shown = text_of(row)
    for expected in ("Bea Writer", "Bea@example.org", "http://bea.example", "127.0.0.1", "A Post",
                     "held: every comment is moderated", "In reply to Parent Poster", "The parent comment.",
                     "First line <em>second</em> para", "pending"):
        assert expected in shown, expected
    assert row.find(".//a[@href='http://localhost/a-post']") is not None
    assert row.find(".//time").get("datetime").endswith("Z")
    preview = row.find(".//div[@class='html']")
    assert preview.find(".//em").text == "second" and len(preview.findall(".//p")) == 2
    assert page.find(".//span[@id='pending-count']").text == "1"


def test_pending_comments_wait_longest_first_and_page_both_ways(app, mod_client):
    ids = pending(mod_client, 5)
    first = mod_client.get("/moderate/?limit=2")
    assert row_ids(first) == ids[:2]
    tree = parse(first)
    assert tree.find(".//a[@rel='prev']") is None
    second = mod_client.get(tree.find(".//a[@rel='next']").get("href"))
    assert row_ids(second) == ids[2:4]
    third = mod_client.get(parse(second).find(".//a[@rel='next']").get("href"))
    assert row_ids(third) == ids[4:]
    assert parse(third).find(".//a[@rel='next']") is None
    back = mod_client.get(parse(third).find(".//a[@rel='prev']").get("href"))
    assert row_ids(back) == ids[2:4]


def test_decided_states_list_newest_first(app, mod_client, moderator):
    ids = pending(mod_client, 3)
    for comment_id in ids:
        assert moderate(mod_client, moderator, comment_id, "reject").status_code == 200
    assert row_ids(mod_client.get("/moderate/?status=rejected")) == ids[::-1]
    assert row_ids(mod_client.get("/moderate/?status=rejected&limit=1&after=" + str(ids[2]))) == [ids[1]]


@pytest.mark.parametrize(("query", "expected"), [
    ({}, ["ann", "bob", "cy", "dee"]),
    ({"article": "other-post"}, ["dee"]),
    ({"q": "BOB"}, ["bob"]),
    ({"q": "ob Build"}, ["bob"]),
    ({"q": "cy.example"}, ["cy"]),
    ({"q": "needle"}, ["ann", "dee"]),
    ({"q": "needle", "article": "12345"}, ["ann"]),
    ({"q": "ann@example.org"}, ["ann"]),
    ({"q": "ANN@Example.ORG"}, ["ann"]),
    ({"q": "ann@example"}, []),  # emails are sealed: only a whole address matches
    ({"q": "@example.org"}, []),
    ({"q": "100%"}, ["cy"]),
    ({"q": "10_"}, []),  # LIKE wildcards are literal here
    ({"q": "192.0.2.44"}, ["dee"]),
    ({"status": "approved"}, []),
])
def test_filter_and_search(app, mod_client, query, expected):
    authors = {
        "ann": ({"name": "Ann", "email": "ann@example.org", "body": "A needle in here"}, "12345", None),
        "bob": ({"name": "Bob Builder", "email": "bob@example.org", "body": "Nothing much"}, "12345", None),
        "cy": ({"name": "Cy", "email": "cy@example.org", "website": "https://cy.example", "body": "100% sure"},
               "12345", None),
        "dee": ({"name": "Dee", "email": "dee@example.org", "body": "Another NEEDLE"}, "other-post", "192.0.2.44"),
    }
    ids = {}
    for key, (fields, article, address) in authors.items():
        response = mod_client.post(f"/api/v1/articles/{article}/comments", json=fields,
                                   environ_base={"REMOTE_ADDR": address or "127.0.0.1"})
        ids[response.json["id"]] = key
    response = mod_client.get("/moderate/", query_string=query)
    assert response.status_code == 200
    assert [ids[comment_id] for comment_id in row_ids(response)] == expected


def test_the_email_search_is_explained_on_the_page(mod_client):
    page = parse(mod_client.get("/moderate/"))
    search = page.find(".//input[@id='q']")
    hint = page.find(f".//*[@id='{search.get('aria-describedby')}']")
    assert "whole address" in text_of(hint) and "email" in search.get("placeholder")


@pytest.mark.parametrize("query", ["status=deleted", "limit=0", "article=%2Fetc", "after=1&before=2"])
def test_bad_queue_arguments_get_an_html_error_page(mod_client, query):
    response = mod_client.get(f"/moderate/?{query}")
    assert response.status_code == 422
    assert parse(response).find(".//code").text == "validation_failed"


def test_the_header_counts_every_pending_comment_and_the_tabs_the_filtered_ones(mod_client):
    pending(mod_client, 2)
    pending(mod_client, 1, article="other-post")
    for query, header, tab in [("", "3", "3"), ("?article=other-post", "3", "1"), ("?status=spam", "3", "3")]:
        page = parse(mod_client.get(f"/moderate/{query}"))
        assert page.find(".//span[@id='pending-count']").text == header
        assert page.find(".//nav[@class='tabs']/a/span").text == tab
    assert parse(mod_client.get("/moderate/audit")).find(".//span[@id='pending-count']").text == "3"


def test_counts_are_capped_instead_of_scanning(app, mod_client):
    pending(mod_client, 5)
    with app.app_context():
        assert queue_store.pending_count(cap=3) == 4
        assert queue_store.pending_count() == 5
        assert queue_store.status_counts(None) == {"pending": 5, "approved": 0, "rejected": 0, "spam": 0}
        assert queue_store.status_counts("elsewhere") == {"pending": 0, "approved": 0, "rejected": 0, "spam": 0}


# --- Actions ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("action", "status"), [("approve", "approved"), ("reject", "rejected"), ("spam", "spam"),
                                                ("delete", None)])
def test_one_comment_action(app, mod_client, action, status):
    ids = pending(mod_client, 3)
    response = post(mod_client, f"/moderate/comments/{ids[1]}/{action}?next={ids[2]}",
                    {"return_to": "/moderate/?limit=10", "confirm": "yes"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/moderate/?limit=10#c-{ids[2]}"
    assert [status_of(app, comment_id) for comment_id in ids] == ["pending", status, "pending"]
    assert audit_rows(app) == [("mod", status or "deleted", ids[1], "12345", "web")]
    assert "1 comment." in text_of(parse(mod_client.get("/moderate/")).find(".//div[@id='messages']"))


def test_delete_asks_first(app, mod_client):
    ids = pending(mod_client, 2)
    for path, form in [(f"/moderate/comments/{ids[0]}/delete", {}), ("/moderate/bulk", {"action": "delete",
                                                                                         "ids": [str(i) for i in ids]})]:
        question = post(mod_client, path, form)
        assert question.status_code == 200
        page = parse(question)
        assert "for good?" in text_of(page.find(".//h1"))
        assert page.find(".//input[@name='confirm'][@value='yes']") is not None
        assert [status_of(app, comment_id) for comment_id in ids] == ["pending", "pending"]
    confirm = parse(post(mod_client, "/moderate/bulk", {"action": "delete", "ids": [str(i) for i in ids]}))
    form = {field.get("name"): field.get("value") for field in confirm.iter("input") if field.get("name") != "ids"}
    done = mod_client.post(confirm.find(".//main//form").get("action"), data={**form, "ids": [str(i) for i in ids]})
    assert done.status_code == 303
    assert [status_of(app, comment_id) for comment_id in ids] == [None, None]
    assert [row[1] for row in audit_rows(app)] == ["deleted", "deleted"]


def test_bulk_reject_three(app, mod_client):
    ids = pending(mod_client, 5)
    response = post(mod_client, "/moderate/bulk", {"action": "reject", "ids": [str(i) for i in ids[1:4]]},
                    headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json == {"done": ids[1:4], "status": "rejected", "message": "Rejected 3 comments.",
                             "pending": "2"}
    assert [status_of(app, comment_id) for comment_id in ids] == ["pending"] + ["rejected"] * 3 + ["pending"]
    assert [(row[1], row[2], row[4]) for row in audit_rows(app)] == [("rejected", i, "web") for i in ids[1:4]]
    assert row_ids(mod_client.get("/moderate/")) == [ids[0], ids[4]]


def test_bulk_action_skips_comments_deleted_meanwhile(app, mod_client, moderator):
    ids = pending(mod_client, 3)
    assert moderate(mod_client, moderator, ids[1], "delete").status_code == 200
    response = post(mod_client, "/moderate/bulk", {"action": "approve", "ids": [str(i) for i in ids]},
                    headers={"Accept": "application/json"})
    assert response.json["done"] == [ids[0], ids[2]]
    assert response.json["message"] == "Approved 2 comments. 1 comment had already been deleted."


@pytest.mark.parametrize("form", [{"action": "approve"}, {"action": "approve", "ids": "x"},
                                  {"action": "publish", "ids": "1"}])
def test_bulk_action_refuses_a_bad_form(app, mod_client, form):
    pending(mod_client, 1)
    assert post(mod_client, "/moderate/bulk", form).status_code == 422
    assert audit_rows(app) == []


@pytest.mark.parametrize("start", ["pending", "approved"])
def test_edit_sanitizes_again_and_is_audited(app, mod_client, moderator, start):
    comment_id = approved(mod_client, moderator) if start == "approved" else pending(mod_client, 1)[0]
    etag = mod_client.get("/api/v1/articles/12345/comments").headers["ETag"]
    old_length = len(queue_text(app, comment_id))
    new_text = "Now <b>bold</b> <script>alert(1)</script>\n\nsee https://example.org"
    form = parse(mod_client.get(f"/moderate/comments/{comment_id}/edit?return_to=/moderate/%3Fstatus%3Dapproved"))
    assert form.find(".//input[@name='return_to']").get("value") == "/moderate/?status=approved"
    response = post(mod_client, f"/moderate/comments/{comment_id}/edit",
                    {"body": new_text, "return_to": "/moderate/?status=approved"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/moderate/?status=approved#c-{comment_id}"
    with app.app_context():
        stored = session().get(Comment, comment_id)
        assert stored.body_text == new_text
        assert "<b>bold</b>" in stored.body_html and "&lt;script&gt;" in stored.body_html
        assert 'rel="nofollow ugc noopener"' in stored.body_html
        assert stored.updated_at > stored.created_at
    listed = mod_client.get("/api/v1/articles/12345/comments")
    assert (listed.headers["ETag"] != etag) is (start == "approved")
    entry = audit_rows(app)[-1]
    assert entry == ("mod", "edited", comment_id, "12345", "web")
    audit = text_of(parse(mod_client.get("/moderate/audit?action=edited")).find(".//table"))
    assert f"text edited ({old_length} → {len(new_text)} characters)" in audit


@pytest.mark.parametrize(("body", "message"), [
    ("   ", "is required"),
    ("x" * 5001, "at most 5000"),
    ("bell \x07", "control characters"),
])
def test_a_refused_edit_keeps_what_was_typed(app, mod_client, body, message):
    comment_id = pending(mod_client, 1)[0]
    response = post(mod_client, f"/moderate/comments/{comment_id}/edit", {"body": body})
    assert response.status_code == 422
    page = parse(response)
    assert message in text_of(page.find(".//p[@role='alert']"))
    assert page.find(".//textarea").text == body
    assert audit_rows(app) == []


def test_an_unchanged_edit_is_not_audited(app, mod_client):
    comment_id = pending(mod_client, 1)[0]
    response = post(mod_client, f"/moderate/comments/{comment_id}/edit", {"body": "Comment number 0"})
    assert response.status_code == 303
    assert audit_rows(app) == []


@pytest.mark.parametrize(("method", "path"), [("get", "/moderate/comments/999/edit"),
                                               ("post", "/moderate/comments/999/edit"),
                                               ("post", "/moderate/articles/nowhere/close"),
                                               ("post", "/moderate/articles/12345/lock")])
def test_missing_things_are_404_pages(app, mod_client, method, path):
    pending(mod_client, 1)
    response = post(mod_client, path, {"body": "text"}) if method == "post" else mod_client.get(path)
    assert response.status_code == 404
    assert parse(response).find(".//code").text == "not_found"


# --- Articles and the audit log ------------------------------------------------------------------

def test_close_and_reopen_an_article(app, mod_client, moderator):
    pending(mod_client, 2, article_title="Closing time", article_url="http://localhost/closing-time")
    approved(mod_client, moderator, body="Kept")
    pending(mod_client, 1, article="other")
    page = parse(mod_client.get("/moderate/articles"))
    row = page.find(".//tr[@id='article-12345']")
    assert [cell.text for cell in row.findall(".//td/a")] == ["2", "1", "0", "0"]
    assert "Open" in text_of(row)
    assert post(mod_client, "/moderate/articles/12345/close", page="/moderate/articles").status_code == 303
    closed = submit(mod_client, body="Too late")
    assert closed.status_code == 403 and closed.json["error"] == "comments_closed"
    assert submit(mod_client, "other", body="Elsewhere is open").status_code == 202
    assert "Closed" in text_of(parse(mod_client.get("/moderate/articles")).find(".//tr[@id='article-12345']"))
    assert post(mod_client, "/moderate/articles/12345/reopen", page="/moderate/articles").status_code == 303
    assert submit(mod_client, body="Open again").status_code == 202
    assert [row[1:4] for row in audit_rows(app) if row[1] in ("closed", "reopened")] == [
        ("closed", None, "12345"), ("reopened", None, "12345")]


def test_audit_log_filters(app, mod_client, moderator):
    other_token = add_moderator(app, "zoe")
    ids = pending(mod_client, 3)
    assert moderate(mod_client, other_token, ids[0], "approve").status_code == 200
    post(mod_client, f"/moderate/comments/{ids[1]}/reject")
    post(mod_client, f"/moderate/comments/{ids[2]}/spam")
    assert moderate(mod_client, moderator, ids[2], "approve").status_code == 200

    def listed(**query: Any) -> list[list[str]]:
        table = parse(mod_client.get("/moderate/audit", query_string=query)).find(".//table/tbody")
        return [[text_of(cell) for cell in row.findall("td")][1:4] + [text_of(row.findall("td")[6])]
                for row in (table.findall("tr") if table is not None else [])]

    assert listed() == [["mod", "approved", str(ids[2]), "token API"], ["mod", "spam", str(ids[2]), "web"],
                        ["mod", "rejected", str(ids[1]), "web"], ["zoe", "approved", str(ids[0]), "token API"]]
    assert listed(moderator="zoe") == [["zoe", "approved", str(ids[0]), "token API"]]
    assert listed(action="approved") == [["mod", "approved", str(ids[2]), "token API"],
                                         ["zoe", "approved", str(ids[0]), "token API"]]
    assert listed(moderator="mod", action="spam") == [["mod", "spam", str(ids[2]), "web"]]
    assert listed(comment=str(ids[2])) == [["mod", "approved", str(ids[2]), "token API"],
                                           ["mod", "spam", str(ids[2]), "web"]]
    assert listed(moderator="nobody") == []
    options = [option.text for option in parse(mod_client.get("/moderate/audit")).findall(".//select[@id='moderator']/option")]
    assert options == ["Anyone", "mod", "zoe"]


@pytest.mark.parametrize("path", ["/moderate/", "/moderate/audit", "/moderate/articles", "/moderate/password",
                                  "/moderate/login"])
def test_moderator_pages_are_private_utf8_and_accessible(mod_client, path):
    response = mod_client.get(path, follow_redirects=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    page = parse(response)
    assert page.tag == "html" and page.get("lang") == "en"
    assert page.find(".//meta[@charset='utf-8']") is not None
    assert page.find(".//meta[@name='viewport']") is not None
    labelled = {label.get("for") for label in page.iter("label")}
    for field in (element for element in page.iter() if element.tag in ("input", "select", "textarea")):
        if field.get("type") not in ("hidden", "submit"):
            assert field.get("id") in labelled or field.get("aria-label"), field.attrib
