"""The pure submission rules: every field of the contract, every error at once."""

from __future__ import annotations

import pytest

from moderation.core.submissions import is_article_id, parse_submission
from moderation.errors import ValidationFailed

VALID = {"name": "Ann", "email": "ann@example.org", "body": "Hello"}


def errors_of(**fields: object) -> dict[str, str]:
    """The field errors a submission gets (empty when it is valid)."""
    try:
        parse_submission({**VALID, **fields})
    except ValidationFailed as error:
        assert error.fields
        return error.fields
    return {}


@pytest.mark.parametrize("article_id, valid", [
    ("12345", True), ("my-post_2.0~draft", True), ("a" * 128, True), ("A", True), ("9", True),
    ("", False), ("a" * 129, False), ("-leading", False), (".hidden", False), ("~x", False),
    ("has space", False), ("slash/es", False), ("ünïcode", False), ("semi;colon", False),
    ("x\n", False), ("١٢٣", False), (None, False), (12345, False),
])
def test_article_ids(article_id: object, valid: bool) -> None:
    assert is_article_id(article_id) is valid


@pytest.mark.parametrize("name, expected", [
    ("  Ann  ", "Ann"),
    ("Zoë", "Zoë"),
    ("Zoe\u0308", "Zoë"),  # combining diaeresis, normalized to NFC
    ("محمد", "محمد"),
    ("李小龍 🐉", "李小龍 🐉"),
    ("x" * 100, "x" * 100),
    ("👩‍👩‍👧‍👦", "👩‍👩‍👧‍👦"),
])
def test_names_kept_whole(name: str, expected: str) -> None:
    assert parse_submission({**VALID, "name": name}).name == expected


@pytest.mark.parametrize("name, message", [
    ("", "is required"),
    ("   ", "is required"),
    (None, "is required"),
    ("x" * 101, "at most 100"),
    ("Ann\tB", "control characters"),
    ("Ann\nB", "control characters"),
    ("Ann\x00", "control characters"),
    ("Ann\x7f", "control characters"),
    ("Ann\u202eevil", "bidirectional"),
    ("\u2066Ann", "bidirectional"),
    (42, "must be a string"),
    (["Ann"], "must be a string"),
])
def test_bad_names(name: object, message: str) -> None:
    assert message in errors_of(name=name)["name"]


@pytest.mark.parametrize("email, expected", [
    ("ann@example.org", "ann@example.org"),
    ("  ann@EXAMPLE.org ", "ann@example.org"),
    ("Ann.Smith+tag@example.org", "Ann.Smith+tag@example.org"),
    ("用户@例子.广告", "用户@例子.广告"),
])
def test_emails_normalized(email: str, expected: str) -> None:
    assert parse_submission({**VALID, "email": email}).email == expected


@pytest.mark.parametrize("email", [
    "", "ann", "ann@", "@example.org", "ann@@example.org", "ann@example", "ann example@x.org",
    "a" * 250 + "@example.org", "ann@exa mple.org", None, 7,
])
def test_bad_emails(email: object) -> None:
    assert "email" in errors_of(email=email)


@pytest.mark.parametrize("website, expected", [
    ("", None),
    (None, None),
    ("   ", None),
    ("example.com", "http://example.com"),
    ("example.com:8080/path", "http://example.com:8080/path"),
    ("https://ann.example.org/blog?p=1#x", "https://ann.example.org/blog?p=1#x"),
    ("HTTP://Example.org", "HTTP://Example.org"),
    ("https://例子.广告/", "https://例子.广告/"),
])
def test_websites(website: object, expected: str | None) -> None:
    assert parse_submission({**VALID, "website": website}).website == expected


@pytest.mark.parametrize("website", [
    "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>", "ftp://example.org",
    "mailto:ann@example.org", "vbscript:msgbox", "http://", "http:///path", "https://exa mple.org",
    'https://example.org/"onmouseover="x', "https://example.org/<script>", "http://example.org/a'b",
    "https://example.org:99999/", "http://.example.org", "//example.org", "https://" + "a" * 200 + ".org",
    "java\tscript:alert(1)", 5,
])
def test_bad_websites(website: object) -> None:
    assert "website" in errors_of(website=website)


@pytest.mark.parametrize("body, expected", [
    ("  Hello  ", "Hello"),
    ("line one\r\nline two", "line one\nline two"),
    ("tab\tinside", "tab\tinside"),
    ("e\u0301", "é"),
    ("عربي and English", "عربي and English"),
    ("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎉", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎉"),
    ("x" * 5000, "x" * 5000),
])
def test_bodies(body: str, expected: str) -> None:
    assert parse_submission({**VALID, "body": body}).body == expected


@pytest.mark.parametrize("body, message", [
    ("", "is required"),
    (" \n\t ", "is required"),
    ("x" * 5001, "at most 5000"),
    ("bell\x07", "control characters"),
    ("nul\x00", "control characters"),
    ({"html": "x"}, "must be a string"),
])
def test_bad_bodies(body: object, message: str) -> None:
    assert message in errors_of(body=body)["body"]


@pytest.mark.parametrize("parent_id, expected", [(None, None), (1, 1), (987654, 987654)])
def test_parent_ids(parent_id: object, expected: int | None) -> None:
    assert parse_submission({**VALID, "parent_id": parent_id}).parent_id == expected


@pytest.mark.parametrize("parent_id", [0, -1, "3", 1.5, True, [], {}])
def test_bad_parent_ids(parent_id: object) -> None:
    assert "parent_id" in errors_of(parent_id=parent_id)


@pytest.mark.parametrize("hp, bot", [(None, False), ("", False), ("  ", False), ("x", True),
                                     ("http://spam.example", True), (1, True), (False, False)])
def test_honeypot(hp: object, bot: bool) -> None:
    assert parse_submission({**VALID, "hp": hp}).honeypot is bot


def test_article_fields() -> None:
    submission = parse_submission({**VALID, "article_title": " A  Post ", "article_url": "https://blog.example/p/1"})
    assert (submission.article_title, submission.article_url) == ("A  Post", "https://blog.example/p/1")
    assert set(errors_of(article_title="x\n" * 3, article_url="blog.example/p/1")) == {"article_title", "article_url"}


def test_every_invalid_field_is_reported_at_once() -> None:
    fields = errors_of(name="", email="nope", website="javascript:x", body="", parent_id="x",
                       article_url="ftp://x.org")
    assert set(fields) == {"name", "email", "website", "body", "parent_id", "article_url"}
    assert all(isinstance(message, str) and message for message in fields.values())


def test_limits_reject_rather_than_truncate() -> None:
    assert set(errors_of(name="n" * 101, body="b" * 5001, website="http://x.org/" + "p" * 200)) == {
        "name", "body", "website"}
