"""The team page over HTTP, and the roles on every moderator page.

An admin lists, adds and removes moderators and makes and revokes their API tokens; each
change is audited and takes effect at once (a revoked token, a removed moderator's session).
A moderator (role "moderator") is refused every admin-only route with 403, in the contract's
shape. Every test runs on SQLite and on PostgreSQL; results are read back from the database,
the token API and the pages, never assumed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import url_for
from sqlalchemy import select

from moderation.core.credentials import check_expires_in, check_new_moderator, check_new_token
from moderation.errors import ValidationFailed
from moderation.store.database import session
from moderation.store.models import ApiToken, AuditEntry, Moderator

from helpers import (
    MODERATOR_PASSWORD,
    add_moderator,
    assert_nothing_runs,
    csrf_from,
    logged_in,
    parse,
    submit,
    text_of,
)

TEAM = "/moderate/team"
MOLLY = ("molly", "a long password")
SECRET = re.compile(r"mod_[A-Za-z0-9_-]{20,}")


# --- Helpers -----------------------------------------------------------------------------------

def post(client: Any, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form of the team page, CSRF token included, as the page itself would."""
    return client.post(path, data={"csrf_token": csrf_from(client, TEAM), **(data or {})}, **kwargs)


def queue_status(client: Any, token: str) -> int:
    """What the token API answers a token: 200 while it works, 401 after."""
    return client.get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}).status_code


def audit(app: Any) -> list[tuple[str, int | None, str, str | None]]:
    """(moderator name, moderator id, action, detail) of every audit entry, oldest first."""
    with app.app_context():
        entries = session().scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.moderator_name, e.moderator_id, e.action, e.detail) for e in entries]


def team_rows(app: Any) -> list[tuple[int, str, str]]:
    """(id, name, role) of every moderator."""
    with app.app_context():
        return [tuple(row) for row in session().execute(select(Moderator.id, Moderator.name, Moderator.role)
                                                        .order_by(Moderator.id))]


def token_rows(app: Any) -> list[tuple[Any, ...]]:
    """(id, owner id, label, created, expires, hash) of every token."""
    with app.app_context():
        return [tuple(row) for row in session().execute(
            select(ApiToken.id, ApiToken.moderator_id, ApiToken.label, ApiToken.created_at, ApiToken.expires_at,
                   ApiToken.token_hash).order_by(ApiToken.id))]


def snapshot(app: Any) -> tuple[Any, ...]:
    """Everything the team page can change: moderators, tokens, the audit log."""
    return team_rows(app), token_rows(app), audit(app)


def id_of(app: Any, name: str) -> int:
    """A moderator's id by name."""
    return next(moderator_id for moderator_id, known, _ in team_rows(app) if known == name)


def tokens_of(app: Any, name: str) -> list[int]:
    """The ids of a moderator's tokens."""
    owner = id_of(app, name)
    return [row[0] for row in token_rows(app) if row[1] == owner]


def flashed(client: Any, path: str = TEAM) -> str:
    """The message the next page shows."""
    return text_of(parse(client.get(path)).find(".//div[@id='messages']"))


@pytest.fixture
def molly(app: Any) -> str:
    """Moderator `molly`, role moderator; returns her API token."""
    return add_moderator(app, *MOLLY, role="moderator")


# --- Listing --------------------------------------------------------------------------------------

def test_the_team_page_lists_moderators_and_their_tokens_but_never_a_secret(app, mod_client, moderator, molly):
    assert queue_status(mod_client, molly) == 200  # molly's token has been used: "last used" is set
    response = mod_client.get(TEAM)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = assert_nothing_runs(response)
    names = [text_of(row.find("th")) for row in page.findall(".//table[@class='team']/tbody/tr")]
    assert names == ["mod (you)", "molly"]
    cells = [[text_of(td) for td in row.findall("td")] for row in page.findall(".//table[@class='team']/tbody/tr")]
    assert [(role, live) for role, live, _, _ in cells] == [("admin", "1"), ("moderator", "1")]
    assert cells[0][3] != "never" and cells[1][3] == "never"  # mod logged in; molly did not
    molly_tokens = page.findall(f".//section[@id='member-{id_of(app, 'molly')}']//table/tbody/tr")
    assert len(molly_tokens) == 1
    token_id, label, _, last_used, expires = [text_of(td) for td in molly_tokens[0].findall("td")][:5]
    assert (int(token_id), label, expires) == (tokens_of(app, "molly")[0], "none", "never")
    assert last_used != "never"
    html = response.get_data(as_text=True)
    assert not SECRET.search(html)
    for row in token_rows(app):
        assert row[5] not in html
    assert moderator not in html and molly not in html


def test_the_team_page_is_labelled_and_marked_in_the_navigation(mod_client, molly):
    page = parse(mod_client.get(TEAM))
    link = page.find(".//header//a[@href='/moderate/team']")
    assert link is not None and text_of(link) == "Team" and link.get("aria-current") == "page"
    assert [text_of(h) for h in page.iter("h1")] == ["Team"]
    labelled = {label.get("for") for label in page.iter("label")}
    for field in (element for element in page.iter() if element.tag in ("input", "select", "textarea")):
        if field.get("type") != "hidden":
            assert field.get("id") in labelled, field.attrib
    for header in page.iter("th"):
        assert header.get("scope") in ("col", "row"), text_of(header)
    for button in page.iter("button"):
        assert text_of(button), button.attrib


# --- Tokens ---------------------------------------------------------------------------------------

def test_a_token_is_revoked_after_asking_and_stops_working_at_once(app, mod_client, molly):
    token_id = tokens_of(app, "molly")[0]
    path = f"{TEAM}/moderators/{id_of(app, 'molly')}/tokens/{token_id}/revoke"
    asked = post(mod_client, path)
    assert asked.status_code == 200
    question = parse(asked)
    assert text_of(question.find(".//h1")) == f"Revoke API token {token_id} of molly?"
    assert question.find(".//input[@name='confirm']").get("value") == "yes"
    assert tokens_of(app, "molly") == [token_id] and queue_status(mod_client, molly) == 200

    done = post(mod_client, path, {"confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"#member-{id_of(app, 'molly')}")
    assert queue_status(mod_client, molly) == 401
    assert tokens_of(app, "molly") == []
    assert audit(app)[-1] == ("mod", id_of(app, "mod"), "token_revoked", f"token {token_id} of molly")
    assert flashed(mod_client) == f"Revoked API token {token_id} of molly: it no longer works."


def test_a_new_token_shows_its_secret_once_and_works(app, mod_client, molly):
    molly_id = id_of(app, "molly")
    response = post(mod_client, f"{TEAM}/moderators/{molly_id}/tokens", {"label": "deploy bot", "expires_in": "30"})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    page = assert_nothing_runs(response)
    secret = text_of(page.find(".//code[@id='new-token-secret']"))
    assert SECRET.fullmatch(secret) and SECRET.findall(response.get_data(as_text=True)) == [secret]
    assert secret not in response.headers.get("Set-Cookie", "")
    assert queue_status(mod_client, secret) == 200

    token_id, owner, label, created, expires, _ = token_rows(app)[-1]
    assert (owner, label, expires - created) == (molly_id, "deploy bot", timedelta(days=30))
    assert audit(app)[-1] == ("mod", id_of(app, "mod"), "token_created", f"token {token_id} of molly (deploy bot)")
    assert f"Made API token {token_id} for molly." in text_of(page.find(".//div[@id='messages']"))
    for later in (mod_client.get(TEAM), mod_client.get("/moderate/audit")):
        assert secret not in later.get_data(as_text=True)
    with mod_client.session_transaction() as cookie:
        assert secret not in repr(dict(cookie))


def test_a_token_without_label_or_expiry_never_expires(app, mod_client, molly):
    assert post(mod_client, f"{TEAM}/moderators/{id_of(app, 'mod')}/tokens").status_code == 201
    _, owner, label, _, expires, _ = token_rows(app)[-1]
    assert (owner, label, expires) == (id_of(app, "mod"), None, None)


BAD_TOKENS = [
    ({"label": "x" * 101}, {"label"}),
    ({"label": "tab\there"}, {"label"}),
    ({"expires_in": "0"}, {"expires_in"}),
    ({"expires_in": "3651"}, {"expires_in"}),
    ({"expires_in": "-1"}, {"expires_in"}),
    ({"expires_in": "1.5"}, {"expires_in"}),
    ({"expires_in": "ten"}, {"expires_in"}),
    ({"expires_in": "\u0663"}, {"expires_in"}),  # an Arabic-Indic three: int() would take it
    ({"expires_in": "9" * 5000}, {"expires_in"}),  # over int()'s digit limit
    ({"label": "y" * 101, "expires_in": "never"}, {"label", "expires_in"}),
]


@pytest.mark.parametrize(("form", "named"), BAD_TOKENS, ids=lambda value: repr(value)[:30])
def test_a_bad_token_form_is_shown_again_naming_each_error(app, mod_client, molly, form, named):
    molly_id = id_of(app, "molly")
    before = snapshot(app)
    response = post(mod_client, f"{TEAM}/moderators/{molly_id}/tokens", form)
    assert response.status_code == 422
    page = assert_nothing_runs(response)
    errors = {element.get("id") for element in page.iter("p") if element.get("class") == "error"}
    assert errors == {f"{field}-{molly_id}-error" for field in named}
    words = {"label": "Label must be at most 100", "expires_in": "Expires in days must be a whole number"}
    for field in named:
        message = text_of(page.find(f".//p[@id='{field}-{molly_id}-error']"))
        assert message.startswith(words[field]), message
        typed = page.find(f".//input[@id='{field}-{molly_id}']")
        assert typed.get("value") == form[field] and typed.get("aria-invalid") == "true"
    assert not SECRET.search(response.get_data(as_text=True))
    assert snapshot(app) == before


# --- Moderators -----------------------------------------------------------------------------------

def test_a_moderator_is_added_and_can_log_in(app, mod_client):
    form = {"name": "  nadia  ", "role": "moderator", "new_password": "another long one", "confirm": "another long one"}
    response = post(mod_client, f"{TEAM}/moderators", form)
    assert response.status_code == 303
    assert team_rows(app)[-1][1:] == ("nadia", "moderator")
    assert response.headers["Location"].endswith(f"#member-{id_of(app, 'nadia')}")
    assert audit(app)[-1] == ("mod", id_of(app, "mod"), "moderator_created", "nadia (moderator)")
    assert flashed(mod_client) == "Added nadia to the team as moderator; they can log in now."
    nadia = logged_in(app, "nadia", "another long one")
    assert nadia.get("/moderate/").status_code == 200
    assert nadia.get(TEAM).status_code == 403


def test_an_admin_can_be_added(app, mod_client):
    form = {"name": "ada", "role": "admin", "new_password": "admin password", "confirm": "admin password"}
    assert post(mod_client, f"{TEAM}/moderators", form).status_code == 303
    assert logged_in(app, "ada", "admin password").get(TEAM).status_code == 200


GOOD = {"name": "nadia", "role": "moderator", "new_password": "long enough", "confirm": "long enough"}
BAD_MODERATORS = [
    ({"name": ""}, {"name"}),
    ({"name": "   "}, {"name"}),
    ({"name": "n" * 65}, {"name"}),
    ({"name": "new\nline"}, {"name"}),
    ({"name": "nul\0name"}, {"name"}),
    ({"name": "mod"}, {"name"}),  # taken: the form never resets another moderator's password
    ({"role": "root"}, {"role"}),
    ({"role": ""}, {"role"}),
    ({"new_password": "short", "confirm": "short"}, {"new_password"}),
    ({"confirm": "not the same"}, {"confirm"}),
    ({"name": "", "role": "owner", "new_password": ""}, {"name", "role", "new_password"}),
]


@pytest.mark.parametrize(("change", "named"), BAD_MODERATORS, ids=lambda value: repr(value)[:30])
def test_a_bad_moderator_form_is_shown_again_naming_each_error(app, mod_client, change, named):
    before = snapshot(app)
    form = {**GOOD, **change}
    response = post(mod_client, f"{TEAM}/moderators", form)
    assert response.status_code == 422
    page = assert_nothing_runs(response)
    errors = {element.get("id") for element in page.iter("p") if element.get("class") == "error"}
    assert errors == {f"{field}-error" for field in named}
    for field in named:
        assert page.find(f".//*[@id='{field}']").get("aria-invalid") == "true"
    if "name" not in named:
        assert page.find(".//input[@id='name']").get("value") == form["name"]
    assert not page.findall(".//input[@type='password'][@value]")  # a password is never sent back
    assert snapshot(app) == before


def test_a_removed_moderator_is_logged_out_and_their_token_refused_at_once(app, mod_client, molly):
    molly_client = logged_in(app, *MOLLY)
    comment_id = submit(mod_client).json["id"]
    done = molly_client.post(f"/moderate/comments/{comment_id}/approve",
                             data={"csrf_token": csrf_from(molly_client, "/moderate/"), "return_to": "/moderate/"})
    assert done.status_code == 303
    molly_id = id_of(app, "molly")
    path = f"{TEAM}/moderators/{molly_id}/remove"

    asked = post(mod_client, path)
    assert asked.status_code == 200 and text_of(parse(asked).find(".//h1")) == "Remove molly from the team?"
    assert molly_client.get("/moderate/").status_code == 200 and queue_status(mod_client, molly) == 200

    assert post(mod_client, path, {"confirm": "yes"}).status_code == 303
    refused = molly_client.get("/moderate/")
    assert refused.status_code == 303 and refused.headers["Location"].startswith("/moderate/login")
    assert queue_status(mod_client, molly) == 401
    assert [name for _, name, _ in team_rows(app)] == ["mod"] and token_rows(app)[0][1] == id_of(app, "mod")
    entries = audit(app)
    assert entries[0] == ("molly", None, "approved", None)  # her work keeps her name
    assert entries[-1] == ("mod", id_of(app, "mod"), "moderator_removed", "molly (moderator); 1 token(s) revoked")
    assert flashed(mod_client) == "Removed molly from the team: their sessions and 1 API token have ended."


def test_the_last_admin_cannot_be_removed(app, mod_client, molly):
    mod_id = id_of(app, "mod")
    page = parse(mod_client.get(TEAM))
    section = page.find(f".//section[@id='member-{mod_id}']")
    assert section.find(".//form[@class='remove']") is None
    assert "the only admin" in text_of(section)
    before = snapshot(app)
    response = post(mod_client, f"{TEAM}/moderators/{mod_id}/remove", {"confirm": "yes"})
    assert response.status_code == 303
    assert snapshot(app) == before
    assert flashed(mod_client) == "This is the site's only admin; make another admin first."
    assert mod_client.get(TEAM).status_code == 200  # still logged in


def test_an_admin_may_remove_themselves_while_another_admin_remains(app, mod_client, molly):
    add_moderator(app, "ada", "admin password")
    mod_id = id_of(app, "mod")
    asked = post(mod_client, f"{TEAM}/moderators/{mod_id}/remove")
    assert "This is you: you will be logged out." in text_of(parse(asked))
    response = post(mod_client, f"{TEAM}/moderators/{mod_id}/remove", {"confirm": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == "/moderate/login"
    login = mod_client.get("/moderate/login")
    assert "You removed yourself from the team" in text_of(parse(login).find(".//div[@id='messages']"))
    assert mod_client.get(TEAM).headers["Location"].startswith("/moderate/login")
    assert [name for _, name, _ in team_rows(app)] == ["molly", "ada"]
    assert audit(app)[-1] == ("mod", None, "moderator_removed", "mod (admin); 1 token(s) revoked")


# --- Refused requests -----------------------------------------------------------------------------

def unknown_targets(app: Any) -> list[str]:
    """Team POSTs naming no moderator, no token, or a token of somebody else."""
    mod_id, molly_id = id_of(app, "mod"), id_of(app, "molly")
    molly_token = tokens_of(app, "molly")[0]
    return [f"{TEAM}/moderators/999/remove", f"{TEAM}/moderators/999/tokens",
            f"{TEAM}/moderators/999/tokens/{molly_token}/revoke", f"{TEAM}/moderators/{molly_id}/tokens/999/revoke",
            f"{TEAM}/moderators/{mod_id}/tokens/{molly_token}/revoke"]


@pytest.mark.parametrize("confirm", ["", "yes"])
def test_an_unknown_moderator_or_token_is_404_and_changes_nothing(app, mod_client, molly, confirm):
    before = snapshot(app)
    for path in unknown_targets(app):
        response = post(mod_client, path, {"confirm": confirm, "label": "x"})
        assert response.status_code == 404, path
        assert "There is no" in text_of(parse(response).find(".//h1")), path
    assert snapshot(app) == before


def test_a_post_without_its_csrf_token_is_400_and_changes_nothing(app, mod_client, molly):
    before = snapshot(app)
    molly_id, token_id = id_of(app, "molly"), tokens_of(app, "molly")[0]
    for path, form in [(f"{TEAM}/moderators", GOOD), (f"{TEAM}/moderators/{molly_id}/remove", {"confirm": "yes"}),
                       (f"{TEAM}/moderators/{molly_id}/tokens", {}),
                       (f"{TEAM}/moderators/{molly_id}/tokens/{token_id}/revoke", {"confirm": "yes"})]:
        for token in ({}, {"csrf_token": "forged"}):
            assert mod_client.post(path, data={**form, **token}).status_code == 400, path
    assert snapshot(app) == before


NASTY = "<script>alert(1)</script>"


def test_a_name_with_html_is_shown_as_text_everywhere(app, mod_client):
    form = {**GOOD, "name": NASTY}
    assert post(mod_client, f"{TEAM}/moderators", form).status_code == 303
    nasty_id = id_of(app, NASTY)
    made = post(mod_client, f"{TEAM}/moderators/{nasty_id}/tokens", {"label": "<img src=x onerror=alert(2)>"})
    token_id = tokens_of(app, NASTY)[0]
    pages = [mod_client.get(TEAM), made, mod_client.get("/moderate/audit"),
             post(mod_client, f"{TEAM}/moderators/{nasty_id}/remove"),
             post(mod_client, f"{TEAM}/moderators/{nasty_id}/tokens/{token_id}/revoke")]
    for response in pages:
        assert response.status_code in (200, 201)
        assert NASTY in text_of(assert_nothing_runs(response))
    client = logged_in(app, NASTY, GOOD["new_password"])
    assert NASTY in text_of(assert_nothing_runs(client.get("/moderate/")).find(".//header"))


# --- Roles ----------------------------------------------------------------------------------------

def admin_only_routes(app: Any) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every /moderate/ route whose view is marked admin-only."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            view = app.view_functions[rule.endpoint]
            if rule.rule.startswith("/moderate/") and getattr(view, "admin_only", False):
                url = url_for(rule.endpoint, **{argument: 1 for argument in rule.arguments})
                found += [(rule.endpoint, method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_the_admin_only_routes_include_every_rules_team_and_people_route(app):
    marked = {endpoint for endpoint, _, _ in admin_only_routes(app)}
    wanted = {rule.endpoint for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith(("rules.", "team.", "people."))}
    assert wanted <= marked
    assert {"rules.block_author", "team.page", "team.revoke_token", "people.erase", "people.export"} <= wanted
    assert not {endpoint for endpoint in marked if endpoint.startswith(("queue.", "articles.", "login."))}


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_a_moderator_is_refused_every_admin_only_route(app, moderator, molly, accept):
    client = logged_in(app, *MOLLY)
    comment_id = submit(client).json["id"]
    before = snapshot(app)
    token = csrf_from(client, "/moderate/")
    routes = admin_only_routes(app) + [("rules.block_author", "POST", f"/moderate/comments/{comment_id}/block/ip")]
    for endpoint, method, url in routes:
        response = client.open(url, method=method, headers={"Accept": accept},
                               data={"csrf_token": token, "confirm": "yes", **GOOD} if method == "POST" else None)
        assert response.status_code == 403, (endpoint, method, url)
        if accept == "application/json":
            assert response.json["error"] == "forbidden" and response.json["message"], (endpoint, method)
        else:
            assert "Only an admin may do that" in text_of(parse(response).find(".//h1")), (endpoint, method)
    assert snapshot(app) == before


def test_a_moderator_works_the_queue_and_articles_but_is_offered_no_admin_page(app, moderator, molly):
    client = logged_in(app, *MOLLY)
    comment_id = submit(client, "post-1").json["id"]
    for path in ("/moderate/", "/moderate/articles", "/moderate/audit", "/moderate/password"):
        assert client.get(path).status_code == 200, path
    queue = parse(client.get("/moderate/"))
    hrefs = {link.get("href") for link in queue.findall(".//header//a")}
    assert "/moderate/rules" not in hrefs and TEAM not in hrefs and "/moderate/people" not in hrefs
    assert not [b for b in queue.iter("button") if "/block/" in (b.get("formaction") or "")]
    form = {"csrf_token": csrf_from(client, "/moderate/"), "return_to": "/moderate/"}
    assert client.post(f"/moderate/comments/{comment_id}/approve", data=form).status_code == 303
    assert client.post("/moderate/articles/post-1/close", data=form).status_code == 303
    assert [(name, action) for name, _, action, _ in audit(app)] == [("molly", "approved"), ("molly", "closed")]


def test_an_admin_is_offered_the_rules_the_team_and_the_blocks(app, mod_client):
    submit(mod_client)
    queue = parse(mod_client.get("/moderate/"))
    hrefs = [link.get("href") for link in queue.findall(".//header//a")]
    assert "/moderate/rules" in hrefs and TEAM in hrefs
    assert len([b for b in queue.iter("button") if "/block/" in (b.get("formaction") or "")]) == 2


# --- The pure checks ------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "days"), [("", None), (None, None), ("  ", None), ("1", 1), (" 30 ", 30),
                                           ("3650", 3650), ("0030", 30)])
def test_an_expiry_in_days_is_read(raw, days):
    assert check_expires_in(raw) == days


@pytest.mark.parametrize("raw", ["0", "3651", "-5", "+5", "1e3", "5 days", "\u0665", "\uff15", "99999"])
def test_an_expiry_that_is_no_whole_number_of_days_in_range_is_refused(raw):
    with pytest.raises(ValidationFailed) as refused:
        check_expires_in(raw)
    assert set(refused.value.fields or {}) == {"expires_in"}


def test_a_new_token_and_a_new_moderator_name_every_bad_field_at_once():
    with pytest.raises(ValidationFailed) as token:
        check_new_token("x" * 101, "0")
    assert set(token.value.fields or {}) == {"label", "expires_in"}
    assert check_new_token("  ci  ", "7") == ("ci", 7)
    with pytest.raises(ValidationFailed) as moderator:
        check_new_moderator("", "root", "short", "short")
    assert set(moderator.value.fields or {}) == {"name", "role", "new_password"}
    assert check_new_moderator(" ann ", "admin", MODERATOR_PASSWORD, MODERATOR_PASSWORD) == ("ann", "admin")
