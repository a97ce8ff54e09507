"""The rules page over HTTP: word lists and blocks, every POST guarded, audited and effective.

Every test here runs on SQLite and on PostgreSQL (the `app` fixture). What a form did is
read back from the database, the audit log and the API's decisions, never assumed.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from moderation.shared import of
from moderation.store.database import session, writing
from moderation.store.models import Article, AuditEntry, Block, Comment, WordEntry

from helpers import assert_nothing_runs, csrf_from, parse, payloads, submit, text_of

RULES = "/moderate/rules"


def post(client: Any, path: str, data: dict[str, Any] | None = None, page: str = RULES, **kwargs: Any) -> Any:
    """POST a form of the rules page, CSRF token included, as the page itself would."""
    form = {"csrf_token": csrf_from(client, page), "return_to": RULES, **(data or {})}
    return client.post(path, data=form, **kwargs)


def listed_words(app: Any) -> list[tuple[str, str]]:
    """(list, word) of every stored word, sorted."""
    with app.app_context():
        return sorted(tuple(row) for row in session().execute(select(WordEntry.list, WordEntry.word)))


def stored_blocks(app: Any) -> list[tuple[str, str, str | None]]:
    """(kind, value, note) of every stored block, sorted."""
    with app.app_context():
        return sorted(tuple(row) for row in session().execute(select(Block.kind, Block.value, Block.note)))


def audit(app: Any) -> list[tuple[str, str, str | None, str]]:
    """(moderator, action, detail, via) of every audit entry, oldest first."""
    with app.app_context():
        entries = session().scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.moderator_name, e.action, e.detail, e.via) for e in entries]


def premoderation_of(app: Any, article_id: str = "12345") -> str | None:
    """An article's own pre-moderation as stored."""
    with app.app_context():
        return session().scalar(select(Article.premoderation).where(Article.id == article_id))


def statuses(app: Any) -> dict[int, str]:
    """Every comment's state."""
    with app.app_context():
        return {comment_id: status for comment_id, status in session().execute(select(Comment.id, Comment.status))}


def snapshot(app: Any) -> tuple[Any, ...]:
    """Everything the rules pages can change: words, blocks, article settings, comments, audit entries."""
    return listed_words(app), stored_blocks(app), premoderation_of(app), statuses(app), len(audit(app))


def digest(app: Any, email: str) -> str:
    """The keyed digest the service keeps of an email."""
    with app.app_context():
        return of(app).vault.digest(email)


def flashed(client: Any) -> str:
    """The message the next page shows."""
    return text_of(parse(client.get(RULES)).find(".//div[@id='messages']"))


def reason_of(client: Any, token: str, comment_id: int) -> tuple[str, str]:
    """(status, reason) of a comment as the token queue shows it."""
    for status in ("pending", "approved", "spam"):
        rows = client.get(f"/api/v1/moderation/queue?status={status}",
                          headers={"Authorization": f"Bearer {token}"}).json["comments"]
        for row in rows:
            if row["id"] == comment_id:
                return row["status"], row["reason"]
    raise AssertionError(f"comment {comment_id} is in no queue")


# Every POST of the rules pages, with a form that would change something, and where it goes back to.
POSTS = [
    ("/moderate/rules/words", {"list": "spam", "words": "casino"}, RULES + "#spam"),
    ("/moderate/rules/words/remove", {"list": "hold", "word": "kept"}, RULES + "#hold"),
    ("/moderate/rules/blocks", {"value": "203.0.113.0/24", "note": "bot farm"}, RULES + "#blocks"),
    ("/moderate/rules/blocks/remove", {"block": "ip:198.51.100.0/24"}, RULES + "#blocks"),
    ("/moderate/articles/12345/premoderation", {"premoderation": "none", "return_to": "/moderate/articles?page=1"},
     "/moderate/articles?page=1"),
    ("/moderate/comments/1/block/ip?next=7", {"return_to": "/moderate/?limit=10"}, "/moderate/?limit=10#c-7"),
    ("/moderate/comments/1/block/email", {"return_to": "/moderate/?status=spam"}, "/moderate/?status=spam"),
]


@pytest.fixture
def seeded(app: Any, mod_client: Any) -> tuple[Any, ...]:
    """One hold word and one block in place, added through the page, and comment 1 on article 12345."""
    assert post(mod_client, "/moderate/rules/words", {"list": "hold", "words": "kept"}).status_code == 303
    assert post(mod_client, "/moderate/rules/blocks", {"value": "198.51.100.0/24"}).status_code == 303
    assert submit(mod_client, article_title="Seeded", article_url="http://localhost/seeded").status_code == 202
    return snapshot(app)


# --- Who may post ----------------------------------------------------------------------------

def test_the_page_needs_a_log_in(client):
    response = client.get(RULES)
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderate/login?next=/moderate/rules"


@pytest.mark.parametrize(("path", "form", "back"), POSTS)
def test_a_post_without_the_csrf_token_changes_nothing(app, mod_client, seeded, path, form, back):
    response = mod_client.post(path, data={"return_to": RULES, **form})
    assert response.status_code == 400
    assert parse(response).find(".//code").text == "csrf_failed"
    assert snapshot(app) == seeded


@pytest.mark.parametrize(("path", "form", "back"), POSTS)
def test_a_post_from_another_site_changes_nothing(app, mod_client, seeded, path, form, back):
    response = post(mod_client, path, form, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert parse(response).find(".//code").text == "cross_site"
    assert snapshot(app) == seeded


@pytest.mark.parametrize(("path", "form", "back"), POSTS)
def test_a_post_when_logged_out_goes_to_log_in_and_changes_nothing(app, mod_client, seeded, path, form, back):
    logged_out = app.test_client()
    response = post(logged_out, path, form, page="/moderate/login")  # a good token, but no session
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/moderate/login?next=")
    assert snapshot(app) == seeded


@pytest.mark.parametrize(("path", "form", "back"), POSTS)
def test_the_same_post_from_the_page_goes_through(app, mod_client, seeded, path, form, back):
    response = post(mod_client, path, form, headers={"Origin": "http://localhost"})
    assert response.status_code == 303
    assert response.headers["Location"] == back
    assert len(audit(app)) > seeded[-1]


# --- Word lists ------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "typed", "words", "message"), [
    ("spam", "casino", ["casino"], "Added 1 word to the spam list."),
    ("hold", "crypto\r\nFree Money\r\n\r\n  crypto  \r\n", ["Free Money", "crypto", "kept"],
     "Added 2 words to the hold list."),
    ("hold", "kept\nnew one", ["kept", "new one"], "Added 1 word to the hold list. 1 word was on it already."),
    ("hold", "kept", ["kept"], "Added 0 words to the hold list. 1 word was on it already."),
    ("spam", "x" * 200, ["x" * 200], "Added 1 word to the spam list."),
])
def test_add_words_one_per_line(app, mod_client, seeded, kind, typed, words, message):
    response = post(mod_client, "/moderate/rules/words", {"list": kind, "words": typed})
    assert response.status_code == 303 and response.headers["Location"] == f"{RULES}#{kind}"
    assert flashed(mod_client) == message
    assert sorted(word for listed, word in listed_words(app) if listed == kind) == sorted(words)
    page = parse(mod_client.get(RULES))
    section = page.find(f".//section[@id='{kind}']")
    assert [text_of(span) for span in section.iter("span") if span.get("class") == "word"] == sorted(words)
    assert section.find(".//h2/span").text == str(len(words))


def test_remove_one_word(app, mod_client, seeded):
    post(mod_client, "/moderate/rules/words", {"list": "spam", "words": "kept\nother"})
    page = parse(mod_client.get(RULES))
    button = page.find(".//section[@id='hold']//button[@name='word']")
    assert (button.get("value"), button.get("aria-label")) == ("kept", "Remove kept from the hold list")
    response = post(mod_client, "/moderate/rules/words/remove", {"list": "hold", "word": "kept"})
    assert response.status_code == 303
    assert flashed(mod_client) == "Removed 'kept' from the hold list."
    assert listed_words(app) == [("spam", "kept"), ("spam", "other")]  # the other list keeps its own
    again = post(mod_client, "/moderate/rules/words/remove", {"list": "hold", "word": "kept"})
    assert again.status_code == 303 and flashed(mod_client) == "That word was not on the hold list."
    assert [row[1:] for row in audit(app)[seeded[-1]:]] == [
        ("word_added", "spam list: 'kept', 'other'", "web"), ("word_removed", "hold list: 'kept'", "web")]


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"list": "spam", "words": ""}, "spam-words", "Words to add: enter at least one word or phrase."),
    ({"list": "hold", "words": " \r\n \r\n"}, "hold-words", "Words to add: enter at least one word or phrase."),
    ({"list": "spam", "words": "fine\n" + "y" * 201}, "spam-words",
     "Words to add: each word or phrase may be at most 200 characters; "
     "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…' has 201."),
    ({"list": "hold", "words": "tab\there"}, "hold-words",
     "Words to add: 'tab\\there' contains a control character such as a tab."),
    ({"value": "300.1.1.1", "note": "typo"}, "block-value",
     "IP address, range or email: '300.1.1.1' is not an IP address or CIDR range."),
    ({"value": "203.0.113.0/33", "note": ""}, "block-value",
     "IP address, range or email: '203.0.113.0/33' is not an IP address or CIDR range."),
    ({"value": "spammer@", "note": ""}, "block-value",
     "IP address, range or email: 'spammer@' is not an email address (There must be something after the @-sign.)."),
    ({"value": "", "note": "why"}, "block-value",
     "IP address, range or email: enter an IP address, a CIDR range or an email address."),
    ({"value": "192.0.2.1", "note": "n" * 201}, "block-note",
     "Note: may be at most 200 characters (this one has 201)."),
])
def test_bad_input_is_refused_with_the_field_named_and_kept_as_typed(app, mod_client, seeded, form, field, message):
    path = "/moderate/rules/words" if "words" in form else "/moderate/rules/blocks"
    response = post(mod_client, path, form)
    assert response.status_code == 422
    page = parse(response)
    error = page.find(f".//p[@id='{field}-error']")
    assert error is not None and error.get("role") == "alert"
    assert text_of(error) == message
    control = page.find(f".//*[@id='{field}']")
    assert control.get("aria-invalid") == "true" and control.get("aria-describedby") == f"{field}-error"
    typed = form.get("words", form.get("value") if field == "block-value" else form.get("note"))
    shown = (control.text or "") if control.tag == "textarea" else control.get("value")
    assert shown == typed.replace("\r\n", "\n")
    assert page.find(".//input[@name='return_to']").get("value") == RULES
    assert snapshot(app) == seeded


def test_a_refused_form_keeps_the_filter_it_came_from(app, mod_client, seeded):
    post(mod_client, "/moderate/rules/words", {"list": "spam", "words": "casino\ncasual"})
    response = post(mod_client, "/moderate/rules/words", {"list": "spam", "words": "", "return_to": RULES + "?q=cas"})
    assert response.status_code == 422
    page = parse(response)
    assert page.find(".//input[@id='q']").get("value") == "cas"
    returns = {field.get("value") for field in page.iter("input") if field.get("name") == "return_to"}
    assert returns == {RULES + "?q=cas"}
    assert post(mod_client, "/moderate/rules/words", {"list": "spam", "words": "casa",
                                                      "return_to": RULES + "?q=cas"}).headers["Location"] == (
        RULES + "?q=cas#spam")


@pytest.mark.parametrize("form", [{"list": "allow", "words": "x"}, {"words": "x"}])
def test_an_unknown_list_is_refused(app, mod_client, seeded, form):
    response = post(mod_client, "/moderate/rules/words", form)
    assert response.status_code == 422
    assert parse(response).find(".//code").text == "validation_failed"
    assert listed_words(app) == seeded[0]


@pytest.mark.parametrize(("query", "hold", "spam"), [
    ("", ["kept"], ["cas_no", "casino", "casual", "pills"]),
    ("?q=CAS", [], ["cas_no", "casino", "casual"]),
    ("?q=_", [], ["cas_no"]),  # LIKE wildcards are literal
    ("?q=kep", ["kept"], []),
])
def test_find_a_word(app, mod_client, seeded, query, hold, spam):
    post(mod_client, "/moderate/rules/words", {"list": "spam", "words": "casino\ncasual\npills\ncas_no"})
    page = parse(mod_client.get(RULES + query))
    for kind, expected in (("hold", hold), ("spam", spam)):
        section = page.find(f".//section[@id='{kind}']")
        assert [text_of(s) for s in section.iter("span") if s.get("class") == "word"] == expected
        assert section.find(".//h2/span").text == str({"hold": 1, "spam": 4}[kind])  # the whole list's count


def test_a_long_list_shows_its_first_words_and_says_so(app, mod_client, seeded, monkeypatch):
    monkeypatch.setattr("moderation.web.moderate.rules.WORDS_SHOWN", 3)
    post(mod_client, "/moderate/rules/words", {"list": "spam", "words": "\n".join(f"w{n}" for n in range(5))})
    section = parse(mod_client.get(RULES)).find(".//section[@id='spam']")
    assert [text_of(s) for s in section.iter("span") if s.get("class") == "word"] == ["w0", "w1", "w2"]
    assert "Showing 3 of 5" in text_of(section)
    found = parse(mod_client.get(RULES + "?q=w4")).find(".//section[@id='spam']")
    assert [text_of(s) for s in found.iter("span") if s.get("class") == "word"] == ["w4"]


def test_a_spam_word_added_on_the_page_makes_a_submission_spam(app, mod_client, moderator):
    assert post(mod_client, "/moderate/rules/words", {"list": "spam", "words": "Cheap Pills"}).status_code == 303
    response = submit(mod_client, body="Get your cheap pills here")
    assert response.status_code == 202
    assert reason_of(mod_client, moderator, response.json["id"]) == ("spam", "spam: blocked word 'Cheap Pills'")
    assert post(mod_client, "/moderate/rules/words", {"list": "hold", "words": "pills"}).status_code == 303
    post(mod_client, "/moderate/rules/words/remove", {"list": "spam", "word": "Cheap Pills"})
    held = submit(mod_client, body="Cheap pills, again")
    assert reason_of(mod_client, moderator, held.json["id"]) == ("pending", "held: word 'pills'")


# --- Blocks ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "note", "kind", "shown"), [
    ("203.0.113.0/24", "bot farm", "ip", "203.0.113.0/24"),
    ("203.0.113.77/24", "", "ip", "203.0.113.0/24"),
    ("192.0.2.10", "", "ip", "192.0.2.10/32"),
    ("::ffff:192.0.2.10", "", "ip", "192.0.2.10/32"),
    ("2001:DB8:BAD::/48", "", "ip", "2001:db8:bad::/48"),
    ("Spammer@Example.org", "sold pills", "email", None),
])
def test_add_a_block(app, mod_client, seeded, typed, note, kind, shown):
    response = post(mod_client, "/moderate/rules/blocks", {"value": typed, "note": note})
    assert response.status_code == 303 and response.headers["Location"] == RULES + "#blocks"
    value = shown or digest(app, "spammer@example.org")
    shown = shown or f"email (digest …{value[-4:]})"
    assert (kind, value, note or None) in stored_blocks(app)
    assert flashed(mod_client) == f"Blocked {shown}."
    page = mod_client.get(RULES)
    rows = parse(page).findall(".//table[@class='blocks']/tbody/tr")
    assert [text_of(cell) for cell in rows[0].findall("td")][:2] == [shown, note]
    assert "spammer" not in page.get_data(as_text=True).lower()  # only the digest is kept, so only it shows
    assert audit(app)[-1] == ("mod", "blocked", shown + (f"; note: {note}" if note else ""), "web")
    again = post(mod_client, "/moderate/rules/blocks", {"value": typed})
    assert again.status_code == 303 and flashed(mod_client) == f"Already blocked: {shown}."
    assert len(audit(app)) == seeded[-1] + 1


def test_lift_a_block(app, mod_client, seeded):
    post(mod_client, "/moderate/rules/blocks", {"value": "bad@example.org", "note": "troll"})
    value = digest(app, "bad@example.org")
    buttons = parse(mod_client.get(RULES)).findall(".//table[@class='blocks']//button[@name='block']")
    assert [button.get("value") for button in buttons] == [f"email:{value}", "ip:198.51.100.0/24"]
    assert buttons[0].get("aria-label") == f"Lift the block on email (digest …{value[-4:]})"
    assert post(mod_client, "/moderate/rules/blocks/remove", {"block": f"email:{value}"}).status_code == 303
    assert flashed(mod_client) == f"Lifted the block on email (digest …{value[-4:]})."
    assert post(mod_client, "/moderate/rules/blocks/remove", {"block": "ip:198.51.100.0/24"}).status_code == 303
    assert stored_blocks(app) == []
    assert post(mod_client, "/moderate/rules/blocks/remove", {"block": "ip:198.51.100.0/24"}).status_code == 303
    assert flashed(mod_client) == "There was no such block."
    assert [row[1:3] for row in audit(app)[-2:]] == [("unblocked", f"email (digest …{value[-4:]}); note: troll"),
                                                    ("unblocked", "198.51.100.0/24")]
    assert "Nothing is blocked." in text_of(parse(mod_client.get(RULES)).find(".//section[@id='blocks']"))


@pytest.mark.parametrize(("block", "address", "reason"), [
    ("203.0.113.9", "::ffff:203.0.113.9", "spam: blocked address 203.0.113.9/32"),
    ("203.0.113.0/24", "::ffff:203.0.113.200", "spam: blocked address 203.0.113.0/24"),
    ("::ffff:203.0.113.9", "203.0.113.9", "spam: blocked address 203.0.113.9/32"),
    ("2001:db8:bad::/48", "2001:db8:bad:7::1", "spam: blocked address 2001:db8:bad::/48"),
])
def test_an_address_blocked_on_the_page_makes_a_submission_spam(app, mod_client, moderator, block, address, reason):
    assert post(mod_client, "/moderate/rules/blocks", {"value": block}).status_code == 303
    response = mod_client.post("/api/v1/articles/12345/comments", environ_base={"REMOTE_ADDR": address},
                               json={"name": "Bot", "email": "bot@example.org", "body": "Buy now"})
    assert response.status_code == 202
    assert reason_of(mod_client, moderator, response.json["id"]) == ("spam", reason)
    elsewhere = mod_client.post("/api/v1/articles/12345/comments", environ_base={"REMOTE_ADDR": "192.0.2.99"},
                                json={"name": "Reader", "email": "reader@example.org", "body": "Nice post"})
    assert reason_of(mod_client, moderator, elsewhere.json["id"])[0] == "pending"


def test_an_email_blocked_on_the_page_makes_a_submission_spam(app, mod_client, moderator):
    assert post(mod_client, "/moderate/rules/blocks", {"value": "Spammer@Example.org"}).status_code == 303
    response = submit(mod_client, email="spammer@example.org")
    assert reason_of(mod_client, moderator, response.json["id"]) == ("spam", "spam: blocked email address")


# --- The page among the others ----------------------------------------------------------------

@pytest.mark.parametrize("action", ["word_added", "word_removed", "blocked", "unblocked"])
def test_the_audit_log_filters_by_the_new_actions(app, mod_client, seeded, action):
    post(mod_client, "/moderate/rules/words/remove", {"list": "hold", "word": "kept"})
    post(mod_client, "/moderate/rules/blocks/remove", {"block": "ip:198.51.100.0/24"})
    page = parse(mod_client.get("/moderate/audit", query_string={"action": action}))
    assert action in [option.text for option in page.findall(".//select[@id='action']/option")]
    rows = page.findall(".//table/tbody/tr")
    assert [text_of(row.findall("td")[2]) for row in rows] == [action]
    detail = {"word_added": "hold list: 'kept'", "word_removed": "hold list: 'kept'",
              "blocked": "198.51.100.0/24", "unblocked": "198.51.100.0/24"}[action]
    assert text_of(rows[0].findall("td")[5]) == detail


def test_the_navigation_links_the_rules_page(mod_client):
    for path, current in (("/moderate/", False), (RULES, True)):
        link = parse(mod_client.get(path)).find(".//header//a[@href='/moderate/rules']")
        assert link is not None and text_of(link) == "Rules"
        assert (link.get("aria-current") == "page") is current


def test_the_rules_page_is_private_and_labelled(mod_client, seeded):
    response = mod_client.get(RULES)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    page = parse(response)
    labelled = {label.get("for") for label in page.iter("label")}
    for field in (element for element in page.iter() if element.tag in ("input", "select", "textarea")):
        if field.get("type") not in ("hidden", "submit"):
            assert field.get("id") in labelled or field.get("aria-label"), field.attrib
    for button in page.iter("button"):
        assert text_of(button) or button.get("aria-label"), button.attrib


# --- An article's pre-moderation ----------------------------------------------------------------

def premoderation_select(client: Any, article_id: str = "12345") -> Any:
    """The pre-moderation control of an article's row on the articles page."""
    return parse(client.get("/moderate/articles")).find(f".//tr[@id='article-{article_id}']//select")


@pytest.mark.parametrize(("choice", "stored", "outcome"), [
    ("default", None, ("pending", "held: every comment is moderated")),
    ("all", "all", ("pending", "held: every comment is moderated")),
    ("first-time", "first-time", ("pending", "held: first comment from this author")),
    ("none", "none", ("approved", "approved: pre-moderation is off")),
])
def test_set_an_articles_premoderation(app, mod_client, moderator, seeded, choice, stored, outcome):
    select_ = premoderation_select(mod_client)
    options = [(option.get("value"), text_of(option)) for option in select_.findall("option")]
    assert options == [("default", "default (all)"), ("all", "all"), ("first-time", "first-time"), ("none", "none")]
    assert select_.find("option[@selected]").get("value") == "default"
    assert select_.get("aria-label") == "Pre-moderation of Seeded"
    response = post(mod_client, "/moderate/articles/12345/premoderation",
                    {"premoderation": choice, "return_to": "/moderate/articles"}, page="/moderate/articles")
    assert response.status_code == 303 and response.headers["Location"] == "/moderate/articles"
    assert premoderation_of(app) == stored
    assert premoderation_select(mod_client).find("option[@selected]").get("value") == choice
    token = mod_client.get("/api/v1/form-token?article=12345").json["form_token"]
    sent = submit(mod_client, body="A new thought", email="new@example.org", form_token=token)
    assert reason_of(mod_client, moderator, sent.json["id"]) == outcome
    token = mod_client.get("/api/v1/form-token?article=other-article").json["form_token"]
    other = submit(mod_client, "other-article", body="Elsewhere", email="new@example.org", form_token=token)
    assert reason_of(mod_client, moderator, other.json["id"]) == ("pending", "held: every comment is moderated")
    changed = audit(app)[seeded[-1]:]
    assert changed == ([] if stored is None else [("mod", "premoderation", f"pre-moderation {choice} (was default)",
                                                   "web")])


def test_premoderation_changes_are_audited_with_the_article(app, mod_client, seeded):
    for choice in ("none", "none", "default"):
        post(mod_client, "/moderate/articles/12345/premoderation", {"premoderation": choice}, page="/moderate/articles")
    assert [row[1:3] for row in audit(app)[seeded[-1]:]] == [
        ("premoderation", "pre-moderation none (was default)"), ("premoderation", "pre-moderation default (was none)")]
    assert "Article 12345: pre-moderation is now default." == flashed(mod_client)
    rows = parse(mod_client.get("/moderate/audit?action=premoderation")).findall(".//table/tbody/tr")
    assert [text_of(row.findall("td")[4]) for row in rows] == ["12345", "12345"]


@pytest.mark.parametrize(("path", "form", "status"), [
    ("/moderate/articles/12345/premoderation", {"premoderation": "sometimes"}, 422),
    ("/moderate/articles/12345/premoderation", {}, 422),
    ("/moderate/articles/nowhere/premoderation", {"premoderation": "none"}, 404),
])
def test_a_bad_premoderation_form_changes_nothing(app, mod_client, seeded, path, form, status):
    response = post(mod_client, path, form, page="/moderate/articles")
    assert response.status_code == status
    assert snapshot(app) == seeded


# --- Blocking a comment's author from the queue ------------------------------------------------

def from_address(client: Any, address: str, **fields: Any) -> int:
    """Submit a comment from a client address; return its id."""
    body = {"name": "Sender", "email": "sender@example.org", "body": "Buy followers", **fields}
    response = client.post("/api/v1/articles/12345/comments", json=body, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 202, response.json
    return response.json["id"]


def queue_post(client: Any, path: str, page: str = "/moderate/") -> Any:
    """Press a button of the queue's form: its CSRF token and return path come along."""
    return client.post(path, data={"csrf_token": csrf_from(client, page), "return_to": page})


@pytest.mark.parametrize(("kind", "address", "shown", "again"), [
    ("ip", "192.0.2.10", "192.0.2.10/32", {"address": "192.0.2.10", "email": "other@example.org"}),
    ("ip", "::ffff:192.0.2.10", "192.0.2.10/32", {"address": "192.0.2.10", "email": "other@example.org"}),
    ("ip", "2001:db8::5", "2001:db8::5/128", {"address": "2001:db8::5", "email": "other@example.org"}),
    ("email", "192.0.2.10", None, {"address": "198.51.100.1", "email": "Sender@example.org"}),
])
def test_block_a_comments_author_from_the_queue(app, mod_client, moderator, kind, address, shown, again):
    comment_id, other = from_address(mod_client, address), from_address(mod_client, "192.0.2.99", body="Fine")
    response = queue_post(mod_client, f"/moderate/comments/{comment_id}/block/{kind}?next={other}")
    assert response.status_code == 303 and response.headers["Location"] == f"/moderate/#c-{other}"
    assert statuses(app) == {comment_id: "spam", other: "pending"}
    value = shown or digest(app, "sender@example.org")
    shown = shown or f"email (digest …{value[-4:]})"
    assert stored_blocks(app) == [(kind, value, f"comment {comment_id} by Sender")]
    assert f"Blocked {shown}; comment {comment_id} is spam." in flashed(mod_client)
    with app.app_context():
        entries = [(e.action, e.comment_id, e.article_id, e.detail) for e in
                   session().scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert entries == [("blocked", comment_id, "12345", f"{shown}; note: comment {comment_id} by Sender"),
                       ("spam", comment_id, "12345", None)]
    later = from_address(mod_client, again["address"], email=again["email"], body="And again")
    reason = f"spam: blocked address {value}" if kind == "ip" else "spam: blocked email address"
    assert reason_of(mod_client, moderator, later) == ("spam", reason)


def test_the_queue_offers_block_buttons_where_they_can_work(app, mod_client):
    whole, anonymized = from_address(mod_client, "192.0.2.10"), from_address(mod_client, "192.0.2.11", body="Old")
    with app.app_context(), writing() as db:
        db.execute(update(Comment).where(Comment.id == anonymized).values(ip="192.0.2.0/24"))
    page = parse(mod_client.get("/moderate/"))

    def labels(comment_id: int) -> list[str]:
        row = page.find(f".//article[@id='c-{comment_id}']")
        return [button.get("aria-label") for button in row.iter("button") if button.get("class") == "block"]

    assert labels(whole) == ["Block IP 192.0.2.10 and mark as spam", "Block email and mark as spam"]
    assert labels(anonymized) == ["Block email and mark as spam"]  # a purge cut its address down to a range
    refused = queue_post(mod_client, f"/moderate/comments/{anonymized}/block/ip")
    assert refused.status_code == 422
    assert "has no whole IP address to block" in text_of(parse(refused).find(".//h1"))
    assert stored_blocks(app) == [] and statuses(app)[anonymized] == "pending"


def test_blocking_an_already_blocked_spammer_again_changes_only_the_comment(app, mod_client, moderator):
    first, second = from_address(mod_client, "192.0.2.10"), from_address(mod_client, "192.0.2.10", body="Twice")
    assert queue_post(mod_client, f"/moderate/comments/{first}/block/ip").status_code == 303
    assert queue_post(mod_client, f"/moderate/comments/{second}/block/ip").status_code == 303
    assert f"Already blocked: 192.0.2.10/32; comment {second} is spam." in flashed(mod_client)
    assert queue_post(mod_client, f"/moderate/comments/{second}/block/email").status_code == 303
    assert [row[1] for row in audit(app)] == ["blocked", "spam", "spam", "blocked"]  # no second spam for `second`
    assert statuses(app) == {first: "spam", second: "spam"}


@pytest.mark.parametrize("path", ["/moderate/comments/999/block/ip", "/moderate/comments/1/block/name"])
def test_blocking_from_the_queue_needs_a_comment_and_a_kind(app, mod_client, path):
    from_address(mod_client, "192.0.2.10")
    assert queue_post(mod_client, path).status_code == 404
    assert stored_blocks(app) == [] and audit(app) == []


# --- What every moderator page shows of words and notes, and never runs -----------------------------

HOSTILE_SPAM_WORD = "<svg onload=alert('spam')>"
HOSTILE_NOTE = "<script>alert('note')</script>"
HOSTILE_AUTHOR = "\"><img src=x onerror=alert('author')>"
HOSTILE_TYPED = "</textarea><script>alert('typed')</script>"


def corpus_words() -> list[str]:
    """Every line of the XSS corpus that may stand on a word list."""
    lines = (line.strip() for payload in payloads() for line in payload.splitlines())
    return list(dict.fromkeys(line for line in lines if line and len(line) <= 200
                              and not any(ord(char) < 32 or ord(char) == 127 for char in line)))


def test_words_and_notes_show_up_escaped_on_every_moderator_page(app, mod_client, moderator):
    hold_words = corpus_words()
    assert len(hold_words) > 50
    for path, form in [("/moderate/rules/words", {"list": "hold", "words": "\n".join(hold_words)}),
                       ("/moderate/rules/words", {"list": "spam", "words": HOSTILE_SPAM_WORD}),
                       ("/moderate/rules/blocks", {"value": "203.0.113.0/24", "note": HOSTILE_NOTE}),
                       ("/moderate/rules/blocks", {"value": "bad@example.org", "note": HOSTILE_TYPED})]:
        assert post(mod_client, path, form).status_code == 303
    spam = submit(mod_client, body=f"Look: {HOSTILE_SPAM_WORD}").json["id"]
    held = submit(mod_client, body="<script>alert(1)</script>", name=HOSTILE_AUTHOR, article_title=HOSTILE_NOTE,
                  article_url="http://localhost/hostile").json["id"]
    assert queue_post(mod_client, f"/moderate/comments/{held}/block/email").status_code == 303
    reason = reason_of(mod_client, moderator, held)[1]
    assert reason.startswith("held: word '")
    removed = hold_words[0]
    assert post(mod_client, "/moderate/rules/words/remove", {"list": "hold", "word": removed}).status_code == 303
    after_removing = mod_client.get(RULES)  # with the flash that names the word
    post(mod_client, "/moderate/articles/12345/premoderation", {"premoderation": "none"}, page="/moderate/articles")
    refused_words = post(mod_client, "/moderate/rules/words",
                         {"list": "spam", "words": HOSTILE_TYPED + "\n" + "x" * 201})
    refused_block = post(mod_client, "/moderate/rules/blocks", {"value": HOSTILE_TYPED, "note": HOSTILE_NOTE * 9})
    assert refused_words.status_code == refused_block.status_code == 422
    pages = {
        "rules": mod_client.get(RULES),
        "rules, after removing": after_removing,
        "rules, found": mod_client.get(RULES, query_string={"q": HOSTILE_SPAM_WORD}),
        "rules, refused words": refused_words,
        "rules, refused block": refused_block,
        "queue": mod_client.get("/moderate/?status=spam"),
        "queue, held": mod_client.get("/moderate/?status=spam&q=alert"),
        "edit": mod_client.get(f"/moderate/comments/{spam}/edit"),
        "confirm delete": queue_post(mod_client, f"/moderate/comments/{spam}/delete"),
        "articles": mod_client.get("/moderate/articles"),
        "audit": mod_client.get("/moderate/audit"),
        "audit, blocked": mod_client.get("/moderate/audit?action=blocked"),
        "password": mod_client.get("/moderate/password"),
        "log-in": app.test_client().get("/moderate/login"),
    }
    shown = {name: text_of(assert_nothing_runs(response)) for name, response in pages.items()}
    rules = parse(pages["rules"])
    listed = ["".join(span.itertext()) for span in rules.iter("span") if span.get("class") == "word"]
    assert sorted(listed) == sorted(hold_words[1:] + [HOSTILE_SPAM_WORD])
    assert f"Removed '{removed}' from the hold list." in shown["rules, after removing"]
    for text in (HOSTILE_NOTE, HOSTILE_TYPED, f"comment {held} by {HOSTILE_AUTHOR}"):
        assert text in shown["rules"] and text in shown["audit"]
    assert [text_of(span) for span in parse(pages["rules, found"]).iter("span")
            if span.get("class") == "word"] == [HOSTILE_SPAM_WORD]
    assert parse(refused_words).find(".//textarea[@id='spam-words']").text == HOSTILE_TYPED + "\n" + "x" * 201
    assert parse(refused_block).find(".//input[@id='block-value']").get("value") == HOSTILE_TYPED
    assert parse(refused_block).find(".//input[@id='block-note']").get("value") == HOSTILE_NOTE * 9
    assert f"spam: blocked word '{HOSTILE_SPAM_WORD}'" in shown["queue"]
    assert reason in shown["queue, held"] and HOSTILE_AUTHOR in shown["queue, held"]
    assert f"'{HOSTILE_SPAM_WORD}'" in shown["audit"]
    assert HOSTILE_NOTE in shown["articles"]  # the article's title, beside its pre-moderation form
