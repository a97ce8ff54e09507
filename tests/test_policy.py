"""The pure policy core and its rules, in tables: no Flask, no database, no clock."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from moderation.core.addresses import anonymize_ip, client_ip, parse_network
from moderation.core.antibot import (
    FormTokenReading,
    commenter_key_from,
    issue_form_token,
    new_commenter_key,
    read_form_token,
)
from moderation.core.policy import (
    Decision,
    FormToken,
    PolicyConfig,
    Premoderation,
    Signals,
    Verdict,
    comments_closed,
    decide,
    link_count,
)
from moderation.core.sanitize import render
from moderation.core.status import Status
from moderation.core.submissions import parse_submission
from moderation.core.wordlists import Rules, WordMatcher, compile_rules

NOW = datetime(2026, 11, 27, 18, 0, tzinfo=timezone.utc)
SUBMISSION = parse_submission({"name": "Ann", "email": "ann@example.org", "body": "Nice post."})
RULES = compile_rules(
    [("hold", "crypto"), ("hold", "Free Money"), ("spam", "casino"), ("spam", "viagra"), ("hold", "198.51.100.")],
    [("ip", "203.0.113.0/24"), ("ip", "2001:db8:bad::/48"), ("email", "digest-of-bad")],
)


def signals(**changes: object) -> Signals:
    """Signals of an ordinary submission, with changes; body/website/name change the submission."""
    fields = {key: changes.pop(key) for key in ("body", "website", "name", "hp") if key in changes}
    submission = replace(SUBMISSION, **{"honeypot" if k == "hp" else k: v for k, v in fields.items()})
    base = Signals(submission, render(submission.body), "192.0.2.10", ("digest-of-ann",),
                   form_token=FormToken.VALID, form_age_seconds=30.0)
    return replace(base, **changes)


def decision(config: PolicyConfig = PolicyConfig(Premoderation.NONE), **changes: object) -> Decision:
    return decide(signals(**changes), RULES, config)


@pytest.mark.parametrize("changes, status, reason", [
    ({}, Status.APPROVED, "approved: pre-moderation is off"),
    ({"hp": True}, Status.SPAM, "spam: honeypot field filled"),
    ({"ip": "203.0.113.77"}, Status.SPAM, "spam: blocked address 203.0.113.0/24"),
    ({"ip": "::ffff:203.0.113.77"}, Status.SPAM, "spam: blocked address 203.0.113.0/24"),
    ({"ip": "2001:db8:bad:1::5"}, Status.SPAM, "spam: blocked address 2001:db8:bad::/48"),
    ({"ip": "2001:db8:bae::5"}, Status.APPROVED, "approved: pre-moderation is off"),
    ({"ip": "203.0.114.1"}, Status.APPROVED, "approved: pre-moderation is off"),
    ({"email_digests": ("digest-of-bad",)}, Status.SPAM, "spam: blocked email address"),
    # blocked under a retired secret key: the digest under that key still matches
    ({"email_digests": ("digest-under-new-key", "digest-of-bad")}, Status.SPAM, "spam: blocked email address"),
    ({"body": "Best CASINO bonus"}, Status.SPAM, "spam: blocked word 'casino'"),
    ({"body": "casinos everywhere"}, Status.SPAM, "spam: blocked word 'casino'"),
    ({"name": "Viagra Shop"}, Status.SPAM, "spam: blocked word 'viagra'"),
    ({"website": "http://casino.example.org"}, Status.SPAM, "spam: blocked word 'casino'"),
    # timing is weak: too fast holds for a moderator, never bins a reader as spam
    ({"form_age_seconds": 1.2}, Status.PENDING, "held: sent 1.2 s after the form was shown"),
    ({"form_age_seconds": 1.2, "returning_author": True}, Status.PENDING, "held: sent 1.2 s after the form was shown"),
    ({"external": Verdict.SPAM}, Status.SPAM, "spam: the external spam check says so"),
    ({"body": "see http://a.example.com and http://b.example.com"}, Status.PENDING, "held: 2 links"),
    ({"body": '<a href="https://x.example.com">x</a> https://y.example.com https://z.example.com'},
     Status.PENDING, "held: 3 links"),
    ({"body": "one link http://a.example.com"}, Status.APPROVED, "approved: pre-moderation is off"),
    ({"body": "all about CRYPTO"}, Status.PENDING, "held: word 'crypto'"),
    ({"body": "get free money now"}, Status.PENDING, "held: word 'Free Money'"),
    ({"ip": "198.51.100.23"}, Status.PENDING, "held: word '198.51.100.'"),
    ({"external": Verdict.ERROR}, Status.PENDING, "held: the external spam check did not answer"),
    ({"external": Verdict.HAM}, Status.APPROVED, "approved: pre-moderation is off"),
    ({"form_token": FormToken.INVALID, "form_age_seconds": None}, Status.PENDING, "held: the form token is not valid"),
    ({"form_token": FormToken.MISSING, "form_age_seconds": None}, Status.PENDING, "held: no form token"),
    ({"form_token": FormToken.REUSED}, Status.PENDING, "held: the form token was already used"),
    ({"form_token": FormToken.MISSING, "form_age_seconds": None, "returning_author": True},
     Status.APPROVED, "approved: returning author"),
    ({"hp": True, "returning_author": True}, Status.SPAM, "spam: honeypot field filled"),
    ({"body": "casino http://a.example.com http://b.example.com"}, Status.SPAM, "spam: blocked word 'casino'"),
])
def test_rules_without_premoderation(changes: dict, status: Status, reason: str) -> None:
    assert decision(**changes) == Decision(status, reason)


@pytest.mark.parametrize("mode, returning, status, reason", [
    (Premoderation.ALL, False, Status.PENDING, "held: every comment is moderated"),
    (Premoderation.ALL, True, Status.PENDING, "held: every comment is moderated"),
    (Premoderation.FIRST_TIME, False, Status.PENDING, "held: first comment from this author"),
    (Premoderation.FIRST_TIME, True, Status.APPROVED, "approved: returning author"),
    (Premoderation.NONE, False, Status.APPROVED, "approved: pre-moderation is off"),
])
def test_premoderation(mode: Premoderation, returning: bool, status: Status, reason: str) -> None:
    assert decision(PolicyConfig(mode), returning_author=returning) == Decision(status, reason)


def test_a_returning_author_is_still_held_for_a_rule() -> None:
    config = PolicyConfig(Premoderation.FIRST_TIME)
    assert decision(config, returning_author=True, body="crypto").status == Status.PENDING


@pytest.mark.parametrize("limit, body, status", [
    (0, "http://a.example.com http://b.example.com http://c.example.com", Status.APPROVED),
    (1, "http://a.example.com", Status.PENDING),
    (3, "http://a.example.com http://b.example.com", Status.APPROVED),
])
def test_link_limit_setting(limit: int, body: str, status: Status) -> None:
    assert decision(PolicyConfig(Premoderation.NONE, link_limit=limit), body=body).status == status


@pytest.mark.parametrize("minimum, age, status", [(3.0, 2.9, Status.PENDING), (3.0, 3.0, Status.APPROVED),
                                                  (0.0, 0.0, Status.APPROVED), (10, 9.5, Status.PENDING)])
def test_minimum_form_time(minimum: float, age: float, status: Status) -> None:
    config = PolicyConfig(Premoderation.NONE, min_form_seconds=minimum)
    assert decision(config, form_age_seconds=age).status == status


@pytest.mark.parametrize("html, links", [
    ("<p>none</p>", 0), ('<p><a href="https://x.org" rel="nofollow ugc noopener">x</a></p>', 1),
    ("<p><a>no href</a></p>", 0), ('<a href="a">1</a><A HREF="b">2</A>', 2),
])
def test_link_count(html: str, links: int) -> None:
    assert link_count(html) == links


@pytest.mark.parametrize("closed, first_days_ago, close_after, expected", [
    (True, None, 0, True), (False, None, 0, False), (False, None, 14, False), (False, 13.9, 14, False),
    (False, 14, 14, True), (False, 400, 0, False), (True, 1, 14, True),
])
def test_comments_closed(closed: bool, first_days_ago: float | None, close_after: int, expected: bool) -> None:
    first = None if first_days_ago is None else NOW - timedelta(days=first_days_ago)
    assert comments_closed(closed, first, NOW, close_after) is expected


@pytest.mark.parametrize("words, texts, found", [
    (["casino"], ["CaSiNo night"], "casino"),
    (["ß-word"], ["SS-WORD here"], "ß-word"),
    (["a.b*c"], ["literal a.b*c only"], "a.b*c"),
    (["a.b*c"], ["aXbbbc"], None),
    (["(unbalanced"], ["x (unbalanced y"], "(unbalanced"),
    (["spam"], [None, "", "ham"], None),
    (["two words"], ["two  words"], None),
    (["  padded  ", ""], ["padded"], "padded"),
    (["ünïcödé"], ["ÜNÏCÖDÉ"], "ünïcödé"),
    ([], ["anything"], None),
])
def test_word_matching_is_literal_and_case_insensitive(words: list[str], texts: list, found: str | None) -> None:
    assert WordMatcher(words).first_match(*texts) == found


@pytest.mark.parametrize("text, network", [
    ("203.0.113.9", "203.0.113.9/32"), ("203.0.113.0/24", "203.0.113.0/24"), ("203.0.113.5/24", "203.0.113.0/24"),
    ("2001:db8::/32", "2001:db8::/32"), ("::ffff:203.0.113.0/120", "203.0.113.0/24"),
    ("::ffff:203.0.113.9", "203.0.113.9/32"),
])
def test_parse_network(text: str, network: str) -> None:
    assert parse_network(text) == ipaddress.ip_network(network)


@pytest.mark.parametrize("text", ["", "nope", "1.2.3.4/33", "300.1.1.1", "2001:db8::/129"])
def test_bad_networks(text: str) -> None:
    with pytest.raises(ValueError):
        parse_network(text)


@pytest.mark.parametrize("address, ip", [("192.0.2.1", "192.0.2.1"), ("::ffff:192.0.2.1", "192.0.2.1"),
                                         ("2001:db8::1", "2001:db8::1"), ("junk", None), (None, None)])
def test_client_ip(address: str | None, ip: str | None) -> None:
    assert client_ip(address) == (ipaddress.ip_address(ip) if ip else None)


@pytest.mark.parametrize("address, anonymized", [
    ("203.0.113.77", "203.0.113.0/24"), ("::ffff:203.0.113.77", "203.0.113.0/24"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1::/48"), ("junk", "unknown/0"),
])
def test_anonymize_ip(address: str, anonymized: str) -> None:
    assert anonymize_ip(address) == anonymized


def test_empty_rules_block_nothing() -> None:
    assert Rules().blocked_network("203.0.113.1") is None
    assert decide(signals(), Rules(), PolicyConfig(Premoderation.NONE)).status == Status.APPROVED


@pytest.mark.parametrize("token, age, state", [
    (None, None, FormToken.MISSING), ("", None, FormToken.MISSING), ("forged", None, FormToken.INVALID),
    (12345, None, FormToken.INVALID), ("x" * 500, None, FormToken.INVALID),
])
def test_form_tokens_that_are_not_valid(token: object, age: float | None, state: FormToken) -> None:
    assert read_form_token("secret", token, NOW, "12345") == FormTokenReading(state, age)


@pytest.mark.parametrize("shown_seconds_ago, state", [(5, FormToken.VALID), (0, FormToken.VALID),
                                                       (12 * 3600, FormToken.VALID),
                                                       (12 * 3600 + 1, FormToken.INVALID),
                                                       (8 * 24 * 3600, FormToken.INVALID),
                                                       (-3600, FormToken.INVALID)])
def test_form_token_age(shown_seconds_ago: int, state: FormToken) -> None:
    token = issue_form_token("secret", NOW - timedelta(seconds=shown_seconds_ago), "12345")
    reading = read_form_token("secret", token, NOW, "12345")
    assert reading.state == state
    assert reading.age_seconds == (shown_seconds_ago if state == FormToken.VALID else None)
    assert read_form_token("another secret", token, NOW, "12345").state == FormToken.INVALID


def test_a_form_token_serves_one_article_and_carries_its_own_nonce() -> None:
    token = issue_form_token("secret", NOW, "12345")
    assert read_form_token("secret", token, NOW, "other-article").state == FormToken.INVALID
    first, second = read_form_token("secret", token, NOW, "12345"), read_form_token(
        "secret", issue_form_token("secret", NOW, "12345"), NOW, "12345")
    assert first.nonce and second.nonce and first.nonce != second.nonce


@pytest.mark.parametrize("value, valid", [
    (new_commenter_key(), True), ("ck_short", False), ("ck_" + "a" * 43, True), ("xx_" + "a" * 43, False),
    ("ck_" + "a" * 42 + "!", False), (None, False), (42, False),
])
def test_commenter_key_format(value: object, valid: bool) -> None:
    assert (commenter_key_from(value) is not None) is valid
