"""The pure checks behind the rules page and the rule commands, in tables."""

from __future__ import annotations

import pytest

from moderation.core.rule_input import (
    BlockInput,
    block_detail,
    block_kind,
    describe_block,
    parse_block,
    parse_block_form,
    parse_list,
    parse_note,
    parse_premoderation,
    parse_words,
    premoderation_detail,
    words_detail,
)
from moderation.errors import ValidationFailed


@pytest.mark.parametrize(("lines", "expected"), [
    (["casino"], ["casino"]),
    (["  casino  ", "", "   ", "cheap pills"], ["casino", "cheap pills"]),
    (["casino", "casino", "Casino"], ["casino", "Casino"]),  # matching ignores case; listing does not
    (["cafe\u0301"], ["caf\u00e9"]),  # NFC, as comments are
    (["x" * 200], ["x" * 200]),
    (["<script>alert(1)</script>"], ["<script>alert(1)</script>"]),  # kept as typed; escaped on output
])
def test_words_are_trimmed_normalized_and_listed_once(lines, expected):
    assert parse_words(lines) == expected


@pytest.mark.parametrize(("lines", "message"), [
    ([], "enter at least one word or phrase"),
    (["", "  ", "\t"], "enter at least one word or phrase"),
    (["fine", "y" * 201], "at most 200 characters; 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…' has 201"),
    (["tab\tinside"], "'tab\\tinside' contains a control character"),
    (["bell\x07"], "contains a control character"),
])
def test_bad_words_are_refused_by_name(lines, message):
    with pytest.raises(ValueError) as refused:
        parse_words(lines)
    assert message in str(refused.value)


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("ip", "203.0.113.9", "203.0.113.9/32"),
    ("ip", " 203.0.113.77/24 ", "203.0.113.0/24"),
    ("ip", "::ffff:203.0.113.9", "203.0.113.9/32"),
    ("ip", "::ffff:203.0.113.0/120", "203.0.113.0/24"),
    ("ip", "2001:DB8:bad::1/48", "2001:db8:bad::/48"),
    ("email", "Spammer@Example.ORG", "Spammer@example.org"),
    ("email", " ann@example.org ", "ann@example.org"),
])
def test_block_targets_are_normalized(kind, text, expected):
    assert parse_block(kind, text) == expected


@pytest.mark.parametrize(("kind", "text", "message"), [
    ("ip", "", "enter an IP address, a CIDR range or an email address"),
    ("ip", "300.1.1.1", "'300.1.1.1' is not an IP address or CIDR range"),
    ("ip", "203.0.113.0/33", "'203.0.113.0/33' is not an IP address or CIDR range"),
    ("ip", "10.0.0.0/abc", "'10.0.0.0/abc' is not an IP address or CIDR range"),
    ("ip", "example.org", "'example.org' is not an IP address"),
    ("email", "not-an-email@", "'not-an-email@' is not an email address (There must be something after"),
    ("email", "a@b@c", "is not an email address"),
    ("email", "x" * 250 + "@example.org", "is not an email address (must be at most 254 characters"),
])
def test_bad_block_targets_say_why(kind, text, message):
    with pytest.raises(ValueError) as refused:
        parse_block(kind, text)
    assert message in str(refused.value)
    assert "is not a valid email address" not in str(refused.value)  # said once, not twice


@pytest.mark.parametrize(("text", "kind"), [("203.0.113.9", "ip"), ("2001:db8::/32", "ip"), ("a@b.example", "email"),
                                            ("junk", "ip"), ("@", "email")])
def test_block_kind_is_told_by_the_at_sign(text, kind):
    assert block_kind(text) == kind


@pytest.mark.parametrize(("note", "expected"), [(None, None), ("", None), ("  ", None), (" bot farm ", "bot farm"),
                                                ("n" * 200, "n" * 200)])
def test_notes(note, expected):
    assert parse_note(note) == expected


@pytest.mark.parametrize(("note", "message"), [("n" * 201, "at most 200 characters (this one has 201)"),
                                               ("two\nlines", "must be one line")])
def test_bad_notes(note, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_note(note)


@pytest.mark.parametrize(("value", "note", "expected"), [
    ("203.0.113.0/24", "bot farm", BlockInput("ip", "203.0.113.0/24", "bot farm")),
    ("Bad@Example.org", "", BlockInput("email", "Bad@example.org", None)),
    ("300.1.1.1", "n" * 201, {"value", "note"}),
    ("", "", {"value"}),
    ("bad@", "ok", {"value"}),
    ("192.0.2.1", "a\tb", {"note"}),
])
def test_the_block_form_names_every_bad_field(value, note, expected):
    if isinstance(expected, BlockInput):
        assert parse_block_form(value, note) == expected
        return
    with pytest.raises(ValidationFailed) as refused:
        parse_block_form(value, note)
    assert set(refused.value.fields) == expected


@pytest.mark.parametrize(("choice", "expected"), [("default", None), ("all", "all"), ("first-time", "first-time"),
                                                  ("none", "none"), ("sometimes", ValidationFailed),
                                                  (None, ValidationFailed), ("", ValidationFailed)])
def test_premoderation_choices(choice, expected):
    if expected is ValidationFailed:
        with pytest.raises(ValidationFailed):
            parse_premoderation(choice)
    else:
        assert parse_premoderation(choice) == expected


@pytest.mark.parametrize("name", ["hold", "spam"])
def test_lists(name):
    assert parse_list(name) == name


@pytest.mark.parametrize("name", [None, "", "Spam", "allow"])
def test_unknown_lists(name):
    with pytest.raises(ValidationFailed):
        parse_list(name)


DIGEST = "0123456789abcdef" * 4


@pytest.mark.parametrize(("made", "expected"), [
    (lambda: describe_block("ip", "203.0.113.0/24"), "203.0.113.0/24"),
    (lambda: describe_block("email", DIGEST), "email (digest …cdef)"),
    (lambda: block_detail("email", DIGEST, "sold pills"), "email (digest …cdef); note: sold pills"),
    (lambda: block_detail("ip", "192.0.2.1/32", None), "192.0.2.1/32"),
    (lambda: words_detail("spam", ["casino", "cheap, pills"]), "spam list: 'casino', 'cheap, pills'"),
    (lambda: premoderation_detail("none", None), "pre-moderation none (was default)"),
    (lambda: premoderation_detail(None, "all"), "pre-moderation default (was all)"),
])
def test_what_the_audit_log_says(made, expected):
    assert made() == expected


def test_audit_details_fit_their_column():
    words = [f"word{number:03}" + "x" * 190 for number in range(40)]
    detail = words_detail("hold", words)
    assert len(detail) == 500 and detail.endswith("… (40 in all)")
    assert len(block_detail("ip", "192.0.2.1/32", "n" * 200)) < 500
