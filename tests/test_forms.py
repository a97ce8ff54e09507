"""Tests for the pure forms module: WordPress's field names in, messages that name fields out."""

from __future__ import annotations

import pytest

from moderation.core.forms import HONEYPOT, from_wordpress, messages, parent_id, refusal, wait_seconds
from moderation.core.submissions import parse_submission
from moderation.errors import ValidationFailed

WORDPRESS = {"comment": "Nice post.", "author": "Ann", "email": "ann@example.org", "url": "ann.example",
             "comment_post_ID": "12345", "comment_parent": "0", "wp-comment-cookies-consent": "yes",
             "submit": "Post Comment"}


def test_wordpress_names_map_to_the_api():
    article_id, data = from_wordpress(WORDPRESS)
    assert article_id == "12345"
    assert data == {"body": "Nice post.", "name": "Ann", "email": "ann@example.org", "website": "ann.example",
                    "parent_id": None, "form_token": None, "hp": None, "notify_replies": False,
                    "notify_approval": False}


def test_missing_fields_are_empty_not_absent():
    assert from_wordpress({}) == ("", {"body": "", "name": "", "email": "", "website": "", "parent_id": None,
                                       "form_token": None, "hp": None, "notify_replies": False,
                                       "notify_approval": False})


@pytest.mark.parametrize(("sent", "wanted"), [
    (None, False), ("", False), ("0", False), ("off", False), ("false", False),
    ("on", True), ("1", True), ("yes", True), ("On ", True),
])
def test_a_notice_box_counts_as_ticked_only_when_the_browser_sent_a_yes(sent: str | None, wanted: bool) -> None:
    form = {"comment_notify_replies": sent, "comment_notify_approval": sent} if sent is not None else {}
    _, data = from_wordpress(form)
    assert data["notify_replies"] is wanted and data["notify_approval"] is wanted


@pytest.mark.parametrize(("sent", "is_bot"), [
    (None, False),  # a theme's form has no honeypot: not a signal either way
    ("", False),
    ("   ", False),
    ("https://cheap-pills.example", True),
    ("x", True),
])
def test_the_honeypot_field_becomes_hp(sent, is_bot):
    form = WORDPRESS if sent is None else {**WORDPRESS, HONEYPOT: sent}
    _, data = from_wordpress(form)
    assert data["hp"] == sent
    assert parse_submission(data).honeypot is is_bot


def test_the_honeypot_has_a_name_no_wordpress_field_or_autofill_uses():
    assert HONEYPOT not in WORDPRESS and HONEYPOT not in ("url", "website", "email", "name", "hp")


@pytest.mark.parametrize(("raw", "parsed"), [
    ("", None), ("0", None), ("00", None), (" 0 ", None), ("17", 17), (" 17 ", 17), ("0017", 17),
    ("abc", "abc"), ("-1", "-1"), ("+3", "+3"), ("1.5", "1.5"), ("1e3", "1e3"), ("١٢", "١٢"), ("１２", "１２"),
])
def test_comment_parent(raw, parsed):
    assert parent_id(raw) == parsed


@pytest.mark.parametrize("raw", ["abc", "-1", "+3", "1.5", "١٢"])
def test_a_non_numeric_parent_is_a_field_error_with_the_others(raw):
    _, data = from_wordpress({**WORDPRESS, "comment_parent": raw, "email": "nope"})
    with pytest.raises(ValidationFailed) as refused:
        parse_submission(data)
    assert set(refused.value.fields) == {"parent_id", "email"}


@pytest.mark.parametrize(("fields", "expected"), [
    ({"body": "is required"}, {"comment": "Please type your comment."}),
    ({"name": "is required"}, {"author": "Please enter your name."}),
    ({"email": "is required"}, {"email": "Please enter your email address."}),
    ({"email": "is not a valid email address: An email address must have an @-sign."},
     {"email": "Email is not a valid email address: An email address must have an @-sign."}),
    ({"website": "must be a web address starting with http:// or https://"},
     {"url": "Website must be a web address starting with http:// or https://."}),
    ({"body": "must be at most 5000 characters (it has 5001)"},
     {"comment": "Comment must be at most 5000 characters (it has 5001)."}),
    ({"parent_id": "must be null or the id of an approved comment"},
     {"comment_parent": "The comment you replied to is no longer available; send again to post yours on its own."}),
    ({"article_url": "must be a web address"}, {"article_url": "Article url must be a web address."}),
])
def test_messages_name_their_field(fields, expected):
    assert messages(fields) == expected


def test_messages_follow_the_form_order():
    found = messages({"website": "x", "parent_id": "x", "email": "x", "name": "x", "body": "x"})
    assert list(found) == ["comment", "author", "email", "url", "comment_parent"]


@pytest.mark.parametrize(("code", "wait", "expected"), [
    ("rate_limited", 42, "Please wait 42 seconds, then send yours again."),
    ("rate_limited", 1, "Please wait 1 second, then send yours again."),
    ("rate_limited", None, "Please wait a minute, then send yours again."),
    ("duplicate", None, "You have already posted this comment here."),
    ("comments_closed", None, "Comments are closed on this article"),
    ("invalid_article_id", None, "its article id is not valid"),
    ("something_new", None, "The server's own message."),
])
def test_refusals(code, wait, expected):
    assert expected in refusal(code, "The server's own message.", wait)


@pytest.mark.parametrize(("header", "seconds"), [
    ("42", 42), (" 7 ", 7), ("1", 1), (None, None), ("", None), ("-1", None), ("1.5", None), ("١٢", None),
    ("Wed, 21 Oct 2026 07:28:00 GMT", None),  # the date form: the page then says "a minute"
])
def test_the_wait_comes_from_retry_after(header, seconds):
    assert wait_seconds(header) == seconds


@pytest.mark.parametrize(("raw", "valid"), [("1", True), ("2147483647", True), ("2147483648", False),
                                            ("99999999999999999999", False)])
def test_a_parent_id_beyond_the_database_integer_is_a_field_error(raw, valid):
    # It once reached the query and overflowed it: a 500 on SQLite, from the API and the form alike.
    _, data = from_wordpress({**WORDPRESS, "comment_parent": raw})
    if valid:
        assert parse_submission(data).parent_id == int(raw)
    else:
        with pytest.raises(ValidationFailed) as refused:
            parse_submission(data)
        assert set(refused.value.fields) == {"parent_id"}
