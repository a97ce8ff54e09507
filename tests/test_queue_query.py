"""The web queue's pure rules: request arguments, actions, return paths, counts and times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from moderation.core.credentials import check_new_password
from moderation.core.queue_query import (
    AuditQuery,
    QueueQuery,
    capped,
    edit_detail,
    parse_action,
    parse_audit,
    parse_ids,
    parse_page,
    parse_query,
    plural,
    safe_return,
    waited,
)
from moderation.core.status import Status
from moderation.errors import ValidationFailed

NOW = datetime(2026, 11, 27, 18, 0, tzinfo=timezone.utc)

@pytest.mark.parametrize(("args", "expected"), [
    ({}, QueueQuery()),
    ({"status": "spam"}, QueueQuery(Status.SPAM)),
    ({"status": "approved", "article": "post-1.a~b", "q": "  Ann  ", "limit": "200", "after": "7"},
     QueueQuery(Status.APPROVED, "post-1.a~b", "Ann", after=7, limit=200)),
    ({"before": "12", "article": ""}, QueueQuery(before=12)),
])
def test_parse_query_accepts(args, expected):
    assert parse_query(args) == expected

@pytest.mark.parametrize(("args", "fields"), [
    ({"status": "deleted"}, {"status"}),
    ({"status": "Pending"}, {"status"}),
    ({"article": "../etc"}, {"article"}),
    ({"limit": "0"}, {"limit"}),
    ({"limit": "201"}, {"limit"}),
    ({"limit": "ten"}, {"limit"}),
    ({"after": "-1"}, {"after"}),
    ({"after": "١٢"}, {"after"}),  # Arabic-Indic digits are digits, but not ours
    ({"after": "3", "before": "9"}, {"before"}),
    ({"q": "x" * 201}, {"q"}),
    ({"status": "nope", "limit": "0", "article": "-x"}, {"status", "limit", "article"}),
])
def test_parse_query_names_every_bad_argument(args, fields):
    with pytest.raises(ValidationFailed) as raised:
        parse_query(args)
    assert set(raised.value.fields) == fields
    assert all(field in raised.value.message for field in fields)

@pytest.mark.parametrize(("query", "changes", "expected"), [
    (QueueQuery(), {}, {}),
    (QueueQuery(Status.SPAM, "a1", "x", after=5, limit=20), {}, {"status": "spam", "article": "a1", "q": "x",
                                                                 "after": 5, "limit": 20}),
    (QueueQuery(Status.SPAM, after=5), {"status": Status.PENDING, "after": None}, {}),
    (QueueQuery(search="x"), {"search": ""}, {}),
])
def test_queue_query_links(query, changes, expected):
    assert query.args(**changes) == expected

def test_decided_states_read_newest_first():
    assert [QueueQuery(tab).newest_first for tab in Status if tab != Status.DELETED] == [False, True, True, True]

@pytest.mark.parametrize(("args", "expected"), [
    ({}, AuditQuery()),
    ({"moderator": " ann ", "action": "edited", "comment": "4", "before": "99"}, AuditQuery("ann", "edited", 4, 99)),
    ({"action": ""}, AuditQuery()),
])
def test_parse_audit_accepts(args, expected):
    assert parse_audit(args) == expected

@pytest.mark.parametrize(("args", "fields"), [
    ({"action": "approve"}, {"action"}),
    ({"comment": "x"}, {"comment"}),
    ({"moderator": "m" * 65, "before": "0"}, {"moderator", "before"}),
])
def test_parse_audit_refuses(args, fields):
    with pytest.raises(ValidationFailed) as raised:
        parse_audit(args)
    assert set(raised.value.fields) == fields

@pytest.mark.parametrize(("name", "ok"), [
    ("approve", True), ("reject", True), ("spam", True), ("delete", True),
    ("edit", False), ("Approve", False), ("", False), (None, False),
])
def test_parse_action(name, ok):
    if ok:
        assert parse_action(name) == name
    else:
        with pytest.raises(ValidationFailed):
            parse_action(name)

@pytest.mark.parametrize(("values", "expected"), [
    (["3"], [3]),
    (["3", "1", "3", "2"], [3, 1, 2]),
    ([str(n) for n in range(1, 201)], list(range(1, 201))),
    ([], None),
    (["0"], None),
    (["1", "x"], None),
    (["-2"], None),
    (["²"], None),
    ([str(n) for n in range(1, 202)], None),
])
def test_parse_ids(values, expected):
    if expected is None:
        with pytest.raises(ValidationFailed):
            parse_ids(values)
    else:
        assert parse_ids(values) == expected

@pytest.mark.parametrize(("target", "expected"), [
    (None, "/moderate/"),
    ("", "/moderate/"),
    ("/moderate/", "/moderate/"),
    ("/moderate/?status=spam&after=4", "/moderate/?status=spam&after=4"),
    ("/moderate/audit#top", "/moderate/audit"),
    ("/moderate", "/moderate/"),
    ("https://evil.example/moderate/", "/moderate/"),
    ("//evil.example/moderate/", "/moderate/"),
    ("/\\evil.example/moderate/", "/moderate/"),
    ("/moderate/\\..\\api", "/moderate/"),
    ("/moderate/../api/v1/counts", "/moderate/"),
    ("/moderate/%2E%2E/api", "/moderate/"),
    ("/moderate/\r\nLocation: https://evil.example", "/moderate/"),
    ("/api/v1/moderation/queue", "/moderate/"),
    ("javascript:alert(1)//moderate/", "/moderate/"),
])
def test_safe_return_stays_inside_the_queue(target, expected):
    assert safe_return(target) == expected

@pytest.mark.parametrize(("count", "cap", "shown"), [
    (0, 10_000, "0"), (999, 10_000, "999"), (10_000, 10_000, "10,000"), (10_001, 10_000, "10,000+"),
    (4, 3, "3+"),
])
def test_capped(count, cap, shown):
    assert capped(count, cap) == shown

@pytest.mark.parametrize(("ago", "shown"), [
    (timedelta(0), "just now"),
    (timedelta(seconds=59), "just now"),
    (timedelta(minutes=1), "1 min"),
    (timedelta(minutes=59, seconds=59), "59 min"),
    (timedelta(hours=5, minutes=30), "5 h"),
    (timedelta(days=3, hours=23), "3 d"),
    (timedelta(seconds=-30), "just now"),  # a clock a little behind another
])
def test_waited(ago, shown):
    assert waited(NOW - ago, NOW) == shown

@pytest.mark.parametrize(("new", "confirm", "fields"), [
    ("long enough", "long enough", None),
    ("x" * 1024, "x" * 1024, None),
    ("short", "short", {"new_password"}),
    ("x" * 1025, "x" * 1025, {"new_password"}),
    ("long enough", "long enougH", {"confirm"}),
])
def test_check_new_password(new, confirm, fields):
    if fields is None:
        assert check_new_password(new, confirm) == new
    else:
        with pytest.raises(ValidationFailed) as raised:
            check_new_password(new, confirm)
        assert set(raised.value.fields) == fields

@pytest.mark.parametrize(("raw", "page"), [(None, 1), ("", 1), ("3", 3), ("0", 1), ("x", 1), ("999999", 1)])
def test_parse_page(raw, page):
    assert parse_page(raw) == page

def test_words():
    assert [plural(1, "comment"), plural(0, "comment"), plural(3, "comment")] == ["1 comment", "0 comments",
                                                                                    "3 comments"]
    assert edit_detail("abc", "abcdef") == "text edited (3 → 6 characters)"
