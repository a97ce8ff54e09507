"""Tests for the pure origins module: origin normalizing, safe redirect targets, markers."""

from __future__ import annotations

import pytest

from moderation.core.origins import normalized_origins, origin_of, safe_target, with_marker

ALLOWED = ("https://blog.example", "http://127.0.0.1:8080", "https://www.shop.example:443")
OWN = "http://comments.example/"


@pytest.mark.parametrize(("url", "origin"), [
    ("https://blog.example/a/b?c#d", "https://blog.example"),
    ("HTTPS://Blog.Example/", "https://blog.example"),
    ("https://blog.example:443/", "https://blog.example"),
    ("http://blog.example:80", "http://blog.example"),
    ("http://blog.example:8080/x", "http://blog.example:8080"),
    ("https://blog.example:80/", "https://blog.example:80"),
    ("http://[::1]:8080/", "http://[::1]:8080"),
    ("ftp://blog.example/", None),
    ("javascript:alert(1)", None),
    ("//blog.example/", None),
    ("/relative", None),
    ("https:blog.example", None),
    ("https:///blog.example", None),
    ("https://user@blog.example/", None),
    ("https://blog.example:99999/", None),
    ("https://blog.example:port/", None),
    ("https://blög.example/", None),
    ("https://blog.example\\@evil.example/", None),
    ("https://blog.example/\tpath", None),
    (" https://blog.example/", None),
    ("", None),
])
def test_origin_of(url, origin):
    assert origin_of(url) == origin


def test_configured_origins_are_normalized():
    assert normalized_origins(ALLOWED) == {"https://blog.example", "http://127.0.0.1:8080",
                                           "https://www.shop.example"}


@pytest.mark.parametrize(("url", "target"), [
    ("https://blog.example/2026/11/post/", "https://blog.example/2026/11/post/"),
    ("https://BLOG.example/post?p=12#comments", "https://BLOG.example/post?p=12#comments"),
    ("https://blog.example:443/post", "https://blog.example:443/post"),
    ("http://127.0.0.1:8080/article.html", "http://127.0.0.1:8080/article.html"),
    ("https://www.shop.example/item", "https://www.shop.example/item"),
    ("http://comments.example/demo/paper-maps", "http://comments.example/demo/paper-maps"),
    ("/demo/paper-maps?x=1", "http://comments.example/demo/paper-maps?x=1"),
])
def test_safe_targets_are_kept(url, target):
    assert safe_target(url, ALLOWED, OWN) == target


@pytest.mark.parametrize("url", [
    None,
    "",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https://evil.example/",
    "https://blog.example.evil.example/",
    "https://evilblog.example/",
    "https://blog.example@evil.example/",
    "https://evil.example@blog.example/",
    "https://blog.example%40evil.example/",
    "https://blog.example\\@evil.example/",
    "https://blog.example\\.evil.example/",
    "https:\\\\blog.example/",
    "https:/blog.example/",
    "https:blog.example/",
    "http://blog.example/",
    "https://blog.example:8443/",
    "http://127.0.0.1:8081/",
    "http://127.0.0.1/",
    "https://blog.example./",
    "javascript:alert(document.domain)",
    "JavaScript://blog.example/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "java\tscript:alert(1)",
    "https://blog.exa\nmple/",
    " https://blog.example/",
    "https://blog.example/ path",
    "https://xn--blg-fla.example/",
    "https://blög.example/",
    "https://blog.example:99999/",
    "ftp://blog.example/",
])
def test_unsafe_targets_are_refused(url):
    assert safe_target(url, ALLOWED, OWN) is None


@pytest.mark.parametrize(("url", "approved", "marked"), [
    ("https://blog.example/post", False, "https://blog.example/post?comment=pending#respond"),
    ("https://blog.example/post/", True, "https://blog.example/post/#comment-17"),
    ("https://blog.example/?p=12", False, "https://blog.example/?p=12&comment=pending#respond"),
    ("https://blog.example/?p=12", True, "https://blog.example/?p=12#comment-17"),
    ("https://blog.example/?p=12#comments", False, "https://blog.example/?p=12&comment=pending#respond"),
    ("https://blog.example/?p=12#comments", True, "https://blog.example/?p=12#comment-17"),
    ("https://blog.example/?comment=pending", False, "https://blog.example/?comment=pending#respond"),
    ("https://blog.example/?a=1&comment=pending&b=a%26b+c", True, "https://blog.example/?a=1&b=a%26b+c#comment-17"),
    ("https://blog.example/?comments=3&flag", False, "https://blog.example/?comments=3&flag&comment=pending#respond"),
    ("https://blog.example/?", False, "https://blog.example/?comment=pending#respond"),
    ("http://comments.example/comments/thanks", False, "http://comments.example/comments/thanks?comment=pending#respond"),
])
def test_markers(url, approved, marked):
    assert with_marker(url, 17, approved) == marked
