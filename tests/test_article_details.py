"""Moderators set an article's title and URL: the pure checks, the web form, the command line.

The web and CLI tests run on SQLite and on PostgreSQL (the `app` fixture). What a form or a
command did is read back from the database, the audit log and the pages, never assumed.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from moderation.core.rule_input import ArticleDetails, details_detail, parse_article_details
from moderation.errors import ValidationFailed
from moderation.store.database import session, writing
from moderation.store.models import Article, AuditEntry

from helpers import assert_nothing_runs, csrf_from, parse, submit, text_of

ARTICLES = "/moderate/articles"
DETAILS = "/moderate/articles/12345/details"
BACK = "/moderate/articles?page=1"
NEW = {"title": "New title", "url": "https://blog.example/p/12345"}
# What the audit log says when NEW replaces the fixture's title and URL.
NEW_DETAIL = "title 'New title' (was 'Old title'); url 'https://blog.example/p/12345' (was 'https://blog.example/old')"
HOSTILE_TITLE = "<script>alert('title')</script>"


# --- The pure checks -------------------------------------------------------------------------

@pytest.mark.parametrize(("title", "url", "expected"), [
    ("New title", "https://blog.example/p/12345", ("New title", "https://blog.example/p/12345")),
    ("  Cafe\u0301 au lait  ", " http://blog.example/x ", ("Caf\u00e9 au lait", "http://blog.example/x")),
    ("", "", (None, None)),  # empty clears
    ("   ", "  ", (None, None)),
    ("x" * 300, "https://blog.example/" + "p" * 1979, ("x" * 300, "https://blog.example/" + "p" * 1979)),
    (HOSTILE_TITLE, "https://blog.example/?q=%3Cb%3E", (HOSTILE_TITLE, "https://blog.example/?q=%3Cb%3E")),
])
def test_a_typed_title_and_url_are_normalized_like_a_submissions(title, url, expected):
    assert parse_article_details(title, url) == ArticleDetails(*expected)


@pytest.mark.parametrize(("title", "url", "fields"), [
    ("x" * 301, "", {"title": "must be at most 300 characters (it has 301)"}),
    ("tab\there", "", {"title": "must not contain control characters"}),
    ("line\nbreak", "", {"title": "must not contain control characters"}),
    ("", "javascript:alert(1)", {"url": "must be a web address starting with http:// or https://"}),
    ("", "JavaScript:alert(1)", {"url": "must be a web address starting with http:// or https://"}),
    ("", "data:text/html,<b>x</b>", {"url": "contains characters that are not allowed"}),
    ("", "blog.example/p/1", {"url": "must be a web address starting with http:// or https://"}),
    ("", "https://", {"url": "must be a web address with a host name"}),
    ("", "https://blog.example/a b", {"url": "contains characters that are not allowed"}),
    ("", "https://blog.example/" + "p" * 1980, {"url": "must be at most 2000 characters (it has 2001)"}),
    ("bell\x07", "ftp://blog.example/", {"title": "control characters", "url": "starting with http://"}),
    (None, "", {"title": "was not sent"}),
    ("Fine", None, {"url": "was not sent"}),
])
def test_a_bad_title_or_url_is_refused_by_name(title, url, fields):
    with pytest.raises(ValidationFailed) as refused:
        parse_article_details(title, url)
    assert set(refused.value.fields) == set(fields)
    for field, message in fields.items():
        assert message in refused.value.fields[field], (field, refused.value.fields)


@pytest.mark.parametrize(("new", "old", "expected"), [
    (("New", None), (None, None), "title 'New' (was none)"),
    (("Old", None), ("Old", "https://a.example/"), "url none (was 'https://a.example/')"),
    (("B", "https://b.example/"), ("A", "https://a.example/"),
     "title 'B' (was 'A'); url 'https://b.example/' (was 'https://a.example/')"),
    (("t" * 300, None), ("s" * 300, None), f"title '{'t' * 100}…' (was '{'s' * 100}…')"),
])
def test_the_audit_detail_says_what_changed(new, old, expected):
    assert details_detail(ArticleDetails(*new), ArticleDetails(*old)) == expected


def test_the_audit_detail_of_the_longest_values_fits_its_column():
    longest = ArticleDetails("t" * 300, "https://blog.example/" + "p" * 1979)
    other = ArticleDetails("s" * 300, "https://blog.example/" + "q" * 1979)
    assert len(details_detail(longest, other)) <= 500


# --- Helpers for the web and command-line tests ----------------------------------------------

def post(client: Any, path: str = DETAILS, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST the title and URL form as the articles page does, CSRF token included."""
    form = {"csrf_token": csrf_from(client, ARTICLES), "return_to": BACK, **NEW, **(data or {})}
    return client.post(path, data=form, **kwargs)


def details_of(app: Any, article_id: str = "12345") -> tuple[str | None, str | None]:
    """(title, url) of an article as stored."""
    with app.app_context():
        row = session().execute(select(Article.title, Article.url).where(Article.id == article_id)).one()
        return row.title, row.url


def audit(app: Any) -> list[tuple[str, str, str | None, str | None, str]]:
    """(moderator, action, article, detail, via) of every audit entry, oldest first."""
    with app.app_context():
        entries = session().scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.moderator_name, e.action, e.article_id, e.detail, e.via) for e in entries]


def store_directly(app: Any, **values: Any) -> None:
    """Write an article's columns as an older version, an import or a hand edit may have left them."""
    with app.app_context(), writing() as db:
        db.execute(update(Article).where(Article.id == "12345").values(**values))


def audit_rows_shown(client: Any, **query: Any) -> list[list[str]]:
    """The audit page's rows as text: moderator, action, article, detail, via."""
    response = client.get("/moderate/audit", query_string=query)
    assert response.status_code == 200, response.status_code
    body = parse(response).find(".//table/tbody")
    rows = body.findall("tr") if body is not None else []
    cells = [[text_of(cell) for cell in row.findall("td")] for row in rows]
    return [[row[1], row[2], row[4], row[5], row[6]] for row in cells]


@pytest.fixture
def article(app: Any, mod_client: Any) -> tuple[str | None, str | None]:
    """Article 12345 with one pending comment, its title and URL already set (by whatever the intake allows)."""
    response = submit(mod_client, article_title="Old title", article_url="https://blog.example/old")
    assert response.status_code == 202, response.get_data(as_text=True)
    store_directly(app, title="Old title", url="https://blog.example/old")
    return details_of(app)


# --- The web form ------------------------------------------------------------------------------

def test_a_moderator_sets_the_title_and_url(app, mod_client, article):
    response = post(mod_client)
    assert response.status_code == 303
    assert response.headers["Location"] == BACK + "#article-12345"
    assert details_of(app) == (NEW["title"], NEW["url"])
    assert audit(app) == [("mod", "article_details", "12345", NEW_DETAIL, "web")]
    page = parse(mod_client.get(BACK))
    assert "Article 12345: title and URL saved." in text_of(page.find(".//div[@id='messages']"))
    row = page.find(".//tr[@id='article-12345']")
    assert row.find(".//th/a").get("href") == NEW["url"] and row.find(".//th/a").text == NEW["title"]
    assert row.find(".//input[@name='title']").get("value") == NEW["title"]
    assert row.find(".//input[@name='url']").get("value") == NEW["url"]
    card = parse(mod_client.get("/moderate/")).find(".//article[@class='comment']")
    assert card.find(f".//a[@href='{NEW['url']}']").text == NEW["title"]


def test_empty_fields_clear_the_title_and_url(app, mod_client, article):
    assert post(mod_client, data={"title": " ", "url": ""}).status_code == 303
    assert details_of(app) == (None, None)
    assert audit(app)[-1][3] == "title none (was 'Old title'); url none (was 'https://blog.example/old')"
    row = parse(mod_client.get(ARTICLES)).find(".//tr[@id='article-12345']")
    assert row.find(".//th/a") is None and text_of(row.find("th")).startswith("12345 12345")


def test_the_same_values_again_change_nothing_and_are_not_audited(app, mod_client, article):
    response = post(mod_client, data={"title": "Old title", "url": "https://blog.example/old"})
    assert response.status_code == 303
    assert audit(app) == []
    assert "were already so; nothing changed" in text_of(parse(mod_client.get(ARTICLES)).find(".//div[@id='messages']"))


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"title": "x" * 301}, "title", "Title: must be at most 300 characters (it has 301)."),
    ({"title": "Tab\there"}, "title", "Title: must not contain control characters."),
    ({"url": "javascript:alert(document.cookie)"}, "url",
     "URL: must be a web address starting with http:// or https://."),
    ({"url": "blog.example/p/12345"}, "url", "URL: must be a web address starting with http:// or https://."),
    ({"url": "https://blog.example/" + "p" * 1980}, "url", "URL: must be at most 2000 characters (it has 2001)."),
])
def test_a_refused_value_comes_back_named_with_what_was_typed(app, mod_client, article, form, field, message):
    typed = {**NEW, **form}
    response = post(mod_client, data=form)
    assert response.status_code == 422
    page = assert_nothing_runs(response)
    error = page.find(f".//p[@id='{field}-12345-error']")
    assert error.get("role") == "alert" and text_of(error) == message
    entry = page.find(f".//input[@name='{field}']")
    assert entry.get("aria-invalid") == "true" and entry.get("aria-describedby") == f"{field}-12345-error"
    for name, value in typed.items():  # the other field too: nothing typed is lost
        assert page.find(f".//form//input[@name='{name}']").get("value") == value
    assert page.find(".//input[@name='return_to']").get("value") == BACK
    assert details_of(app) == article and audit(app) == []


def test_a_refused_form_posted_again_from_its_page_goes_through(app, mod_client, article):
    page = parse(post(mod_client, data={"url": "nope"}))
    form = page.find(".//form[@class='stacked article-details']")
    fields = {entry.get("name"): entry.get("value") for entry in form.iter("input")}
    fields["url"] = "https://blog.example/fixed"
    response = mod_client.post(form.get("action"), data=fields)
    assert response.status_code == 303 and response.headers["Location"] == BACK + "#article-12345"
    assert details_of(app) == (NEW["title"], "https://blog.example/fixed")


@pytest.mark.parametrize("form", [NEW, {"url": "not a url"}])
def test_an_unknown_article_is_404(app, mod_client, article, form):
    response = post(mod_client, "/moderate/articles/nowhere/details", data=form)
    assert response.status_code == 404
    assert parse(response).find(".//code").text == "not_found"
    assert audit(app) == []


def test_a_post_without_the_csrf_token_changes_nothing(app, mod_client, article):
    response = mod_client.post(DETAILS, data={"return_to": BACK, **NEW})
    assert response.status_code == 400
    assert parse(response).find(".//code").text == "csrf_failed"
    assert details_of(app) == article and audit(app) == []


def test_a_post_from_another_site_changes_nothing(app, mod_client, article):
    response = post(mod_client, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert parse(response).find(".//code").text == "cross_site"
    assert details_of(app) == article and audit(app) == []


def test_a_post_when_logged_out_goes_to_log_in_and_changes_nothing(app, mod_client, article):
    logged_out = app.test_client()
    form = {"csrf_token": csrf_from(logged_out, "/moderate/login"), "return_to": BACK, **NEW}
    response = logged_out.post(DETAILS, data=form)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/moderate/login?next=")
    assert details_of(app) == article and audit(app) == []


def test_the_same_post_from_the_page_itself_goes_through(app, mod_client, article):
    response = post(mod_client, headers={"Origin": "http://localhost"})
    assert response.status_code == 303 and details_of(app) == (NEW["title"], NEW["url"])


# The article actions answer a script's Accept: application/json with the same redirect as a form.
@pytest.mark.parametrize(("path", "form"), [
    ("/moderate/articles/12345/close", {}),
    ("/moderate/articles/12345/premoderation", {"premoderation": "all"}),
    (DETAILS, NEW),
])
def test_article_actions_answer_json_requests_alike(app, mod_client, article, path, form):
    response = post(mod_client, path, data=form, headers={"Accept": "application/json"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(BACK)


def test_return_to_outside_the_moderator_pages_is_ignored(app, mod_client, article):
    response = post(mod_client, data={"return_to": "https://evil.example/moderate/"})
    assert response.headers["Location"] == "/moderate/#article-12345"


# --- The articles page ------------------------------------------------------------------------

def test_each_row_has_a_labelled_form_that_works_without_javascript(app, mod_client, article):
    row = parse(mod_client.get(ARTICLES)).find(".//tr[@id='article-12345']")
    details = row.find(".//th/details")
    assert details is not None and details.get("open") is None  # closed: a long list stays readable
    assert text_of(details.find("summary")) == "Edit title and URL of article 12345"
    form = details.find("form")
    assert form.get("method") == "post" and form.get("action") == DETAILS
    for name, label in (("title", "Title of article 12345"), ("url", "URL of article 12345")):
        entry = form.find(f".//input[@name='{name}']")
        assert text_of(form.find(f".//label[@for='{entry.get('id')}']")) == label
    assert form.find(".//input[@name='url']").get("type") == "url"
    fields = {entry.get("name"): entry.get("value") for entry in form.iter("input")}
    assert fields == {"csrf_token": fields["csrf_token"], "return_to": ARTICLES,
                      "title": "Old title", "url": "https://blog.example/old"}
    fields.update(title="From the page", url="")
    assert mod_client.post(form.get("action"), data=fields).status_code == 303
    assert details_of(app) == ("From the page", None)


def test_a_hostile_title_reaches_moderators_only_as_text(app, mod_client, article):
    assert post(mod_client, data={"title": HOSTILE_TITLE}).status_code == 303
    assert details_of(app)[0] == HOSTILE_TITLE
    for path in (ARTICLES, "/moderate/", "/moderate/audit"):
        page = assert_nothing_runs(mod_client.get(path))
        assert HOSTILE_TITLE in text_of(page), path
    row = parse(mod_client.get(ARTICLES)).find(".//tr[@id='article-12345']")
    assert row.find(".//input[@name='title']").get("value") == HOSTILE_TITLE


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", " JavaScript:alert(1)",
                                 "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="])
def test_a_script_url_is_refused_and_never_a_live_link(app, mod_client, article, url):
    refused = post(mod_client, data={"url": url})
    assert refused.status_code == 422 and details_of(app) == article
    assert_nothing_runs(refused)  # the refused page keeps it only as an input's value
    store_directly(app, url=url)  # as an older version or an import may have left it
    page = assert_nothing_runs(mod_client.get(ARTICLES))
    row = page.find(".//tr[@id='article-12345']")
    assert row.find(".//th/a") is None and "Old title" in text_of(row.find("th"))


def test_a_stored_script_url_is_no_live_link_on_the_queue(app, mod_client, article):
    store_directly(app, url="javascript:alert(document.cookie)")
    assert_nothing_runs(mod_client.get("/moderate/"))


# --- The audit log ----------------------------------------------------------------------------

def test_the_audit_log_shows_the_change_and_who_made_it(app, mod_client, runner, article):
    assert post(mod_client).status_code == 303
    result = runner.invoke(args=["article", "12345", "--title", "From the shell"])
    assert result.exit_code == 0, result.output
    assert audit_rows_shown(mod_client)[:2] == [
        ["command line", "article_details", "12345", "title 'From the shell' (was 'New title')", "command line"],
        ["mod", "article_details", "12345", NEW_DETAIL, "web"],
    ]


def test_the_audit_log_filters_by_article_details(app, mod_client, article):
    assert post(mod_client).status_code == 303
    options = [option.text for option in parse(mod_client.get("/moderate/audit")).findall(
        ".//select[@id='action']/option")]
    assert "article_details" in options
    assert [row[1] for row in audit_rows_shown(mod_client, action="article_details")] == ["article_details"]


# --- The command line -------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "expected", "detail"), [
    (["--title", "New title", "--url", "https://blog.example/p/12345"], ("New title", "https://blog.example/p/12345"),
     NEW_DETAIL),
    (["--title", "Only the title"], ("Only the title", "https://blog.example/old"),
     "title 'Only the title' (was 'Old title')"),
    (["--url", "http://blog.example/moved"], ("Old title", "http://blog.example/moved"),
     "url 'http://blog.example/moved' (was 'https://blog.example/old')"),
    (["--title", ""], (None, "https://blog.example/old"), "title none (was 'Old title')"),
    (["--url", ""], ("Old title", None), "url none (was 'https://blog.example/old')"),
    (["--title", "  Cafe\u0301  "], ("Caf\u00e9", "https://blog.example/old"), "title 'Café' (was 'Old title')"),
])
def test_the_command_sets_the_title_and_url(app, runner, article, args, expected, detail):
    result = runner.invoke(args=["article", "12345", *args])
    assert result.exit_code == 0, result.output
    assert "Article '12345' updated." in result.output
    assert details_of(app) == expected
    assert audit(app) == [("command line", "article_details", "12345", detail, "cli")]


@pytest.mark.parametrize(("args", "message"), [
    (["--title", "x" * 301], "Invalid value for --title: must be at most 300 characters (it has 301)"),
    (["--title", "bell\x07"], "Invalid value for --title: must not contain control characters"),
    (["--url", "javascript:alert(1)"], "Invalid value for --url: must be a web address starting with http://"),
    (["--url", "blog.example/p"], "Invalid value for --url: must be a web address starting with http://"),
    (["--close", "--url", "https://"], "Invalid value for --url: must be a web address with a host name"),
])
def test_the_command_refuses_a_bad_value_by_its_option_and_changes_nothing(app, runner, article, args, message):
    result = runner.invoke(args=["article", "12345", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert details_of(app) == article and audit(app) == []
    with app.app_context():
        assert session().scalar(select(Article.closed).where(Article.id == "12345")) is False


def test_the_command_refuses_an_unknown_article(app, runner, article):
    result = runner.invoke(args=["article", "nowhere", "--title", "Anything"])
    assert result.exit_code == 2 and "There is no article 'nowhere'" in result.output
    assert audit(app) == []
