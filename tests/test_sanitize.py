"""The sanitizer: a table of renderings, then a corpus of XSS payloads end to end.

Every payload goes through submit → approve → read, and the served HTML is parsed
with an HTML5 parser (twice, to catch mutation XSS) and held against the allow-list.
"""

from __future__ import annotations

from pathlib import Path

import html5lib
import pytest

from moderation.core.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, LINK_REL, render

from helpers import moderate, submit

REL = f'rel="{LINK_REL}"'
CORPUS = Path(__file__).parent / "data" / "xss_payloads.txt"
ESCAPES = {"\\n": "\n", "\\t": "\t", "\\r": "\r", "\\\\": "\\"}


@pytest.mark.parametrize("text, html", [
    ("Hello", "<p>Hello</p>"),
    ("one\ntwo", "<p>one<br>\ntwo</p>"),
    ("one\n\ntwo", "<p>one</p>\n<p>two</p>"),
    ("one\n \n\n\ntwo", "<p>one</p>\n<p>two</p>"),
    ("<b>bold</b> <em>em</em> <i>i</i> <strong>s</strong>", "<p><b>bold</b> <em>em</em> <i>i</i> <strong>s</strong></p>"),
    ("<code>x &lt; y</code>", "<p><code>x &lt; y</code></p>"),
    ("5 < 6 and 7 > 3", "<p>5 &lt; 6 and 7 &gt; 3</p>"),
    ("Tom & Jerry", "<p>Tom &amp; Jerry</p>"),
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ("<div>block</div>", "<p>&lt;div&gt;block&lt;/div&gt;</p>"),
    ("<b onclick=alert(1)>x</b>", "<p><b>x</b></p>"),
    ('<abbr title="HyperText">HTML</abbr>', '<p><abbr title="HyperText">HTML</abbr></p>'),
    ('<a href="https://example.org/">site</a>', f'<p><a href="https://example.org/" {REL}>site</a></p>'),
    ('<a href="https://example.org/" rel="me" title="t">x</a>', f'<p><a href="https://example.org/" title="t" {REL}>x</a></p>'),
    ('<a href="javascript:alert(1)">x</a>', "<p><a>x</a></p>"),
    ('<a href="/relative">x</a>', "<p><a>x</a></p>"),
    ('<a href="//evil.example.org/">x</a>', "<p><a>x</a></p>"),
    ('<a href="mailto:ann@example.org">mail</a>', f'<p><a href="mailto:ann@example.org" {REL}>mail</a></p>'),
    ("see https://example.org/page?a=1&b=2 now", f'<p>see <a href="https://example.org/page?a=1&amp;b=2" {REL}>https://example.org/page?a=1&amp;b=2</a> now</p>'),
    ("<code>https://example.org</code>", "<p><code>https://example.org</code></p>"),
    ('<blockquote cite="https://example.org/">quote</blockquote>', '<blockquote cite="https://example.org/">quote</blockquote>'),
    ('<q cite="javascript:alert(1)">q</q>', "<p><q>q</q></p>"),
    # No <br> between blocks (inside a list it would not even be valid HTML), as pasted or imported text has them.
    ("<ul>\n<li>one</li>\n<li>two</li>\n</ul>", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ("<p>One.</p>\n<p>Two.</p>", "<p>One.</p>\n<p>Two.</p>"),
    ("<p>One.</p>\nthen text", "<p>One.</p><br>\nthen text"),
    ("<pre>a\n  b</pre>", "<pre>a<br>\n  b</pre>"),
    ("emoji 🎉 and עברית", "<p>emoji 🎉 and עברית</p>"),
    ("<!-- hidden -->shown", "<p>&lt;!-- hidden --&gt;shown</p>"),
    ("<b></b>", "<p>&lt;b&gt;&lt;/b&gt;</p>"),
])
def test_render(text: str, html: str) -> None:
    assert render(text) == html


@pytest.mark.parametrize("text", ["<", "<>", "<script></script>", "<!---->", "&", "<b></b>", "<p> </p>", "<a href=x></a>",
                                  '<abbr title=">"></abbr>', "<abbr title='a>b'> </abbr>"])
def test_a_body_never_sanitizes_to_nothing(text: str) -> None:
    assert parsed_text(render(text)).strip()


def payloads() -> list[str]:
    """The corpus, one payload per entry, with its escapes decoded."""
    entries = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            for escape, char in ESCAPES.items():
                line = line.replace(escape, char)
            entries.append(line)
    return entries


def parsed_text(html: str) -> str:
    """The text a browser would show for an HTML fragment."""
    return "".join(html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False).itertext())


def violations(html: str) -> list[str]:
    """What in an HTML fragment breaks the allow-list (empty when it is safe)."""
    found = []
    fragment = html5lib.parseFragment(html, container="div", treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        if element is fragment:
            continue
        if not isinstance(element.tag, str) or element.tag not in ALLOWED_TAGS:
            found.append(f"tag {element.tag!r}")
            continue
        allowed = set(ALLOWED_ATTRIBUTES.get(element.tag, ())) | ({"rel"} if element.tag == "a" else set())
        for name, value in element.attrib.items():
            if name not in allowed:
                found.append(f"attribute {name!r} on <{element.tag}>")
            elif name in ("href", "cite") and not value.startswith(("http://", "https://", "mailto:")):
                found.append(f"{name}={value!r}")
            elif name == "rel" and value != LINK_REL:
                found.append(f"rel={value!r}")
    return found


def test_corpus_is_large_and_distinct() -> None:
    entries = payloads()
    assert len(entries) >= 60
    assert len(set(entries)) == len(entries)


def test_xss_corpus_end_to_end(client, token) -> None:  # type: ignore[no-untyped-def]
    entries = payloads()
    ids = {}
    for number, payload in enumerate(entries):
        response = submit(client, "xss-corpus", body=payload, email=f"tester{number}@example.org")
        assert response.status_code == 202, (payload, response.json)
        assert moderate(client, token, response.json["id"], "approve").status_code == 200
        ids[response.json["id"]] = payload
    served, after = {}, ""
    for _ in range(10):
        page = client.get(f"/api/v1/articles/xss-corpus/comments?limit=200{after}").json
        served.update({comment["id"]: comment["html"] for comment in page["comments"]})
        if not page["next"]:
            break
        after = f"&after={page['next']}"
    assert served.keys() == ids.keys()
    for comment_id, html in served.items():
        payload = ids[comment_id]
        assert violations(html) == [], payload
        reparsed = html5lib.serialize(html5lib.parseFragment(html, treebuilder="etree"), tree="etree")
        assert violations(reparsed) == [], payload  # stable under a second parse: no mutation XSS
        assert parsed_text(html).strip(), payload  # escaped, not dropped
