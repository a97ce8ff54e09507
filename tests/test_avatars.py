"""Tests for the pure SVG identicon module."""

import re
import secrets
import xml.etree.ElementTree as ET

import pytest

from moderation.core.avatars import AVATAR_DIGEST_LENGTH, identicon_svg, is_avatar_digest

SVG_NS = "{http://www.w3.org/2000/svg}"
CELL_RE = re.compile(r"M\s*(\d+)\s+(\d+)\s*h\s*1\s*v\s*1\s*h\s*-1\s*z")

GOOD_DIGESTS = [
    "0123456789abcdef",
    "ffffffffffffffff",
    "0000000000000000",
    "deadbeefcafebabe",
    "ffffffffffff8000",  # low 15 bits clear: no cells chosen by the bits
]
BAD_DIGESTS = [
    "",
    "0123456789ABCDEF",  # uppercase
    "0123456789abcdeF",  # one uppercase
    "0123456789abcde",  # 15 chars
    "0123456789abcdef0",  # 17 chars
    "0123456789abcdeg",  # non-hex
    "0123456789abcde ",  # whitespace
    " 0123456789abcde",  # leading space
    "0x23456789abcdef",  # prefix
    "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦",  # Arabic-Indic digits (16 chars)
    "０１２３４５６７８９ａｂｃｄｅｆ",  # full-width (16 chars)
    "0123456789abcd\n",
    "<script>alert(1)",
]


def cells(svg: str) -> set[tuple[int, int]]:
    """Parse the foreground path back into its filled (x, y) cells."""
    paths = ET.fromstring(svg).findall(f"{SVG_NS}path")
    assert len(paths) == 1
    d = paths[0].get("d")
    found = [(int(x), int(y)) for x, y in CELL_RE.findall(d)]
    assert CELL_RE.sub("", d).strip() == "", d
    assert len(found) == len(set(found))
    return set(found)


def test_digest_length_constant():
    assert AVATAR_DIGEST_LENGTH == 16


@pytest.mark.parametrize("digest", GOOD_DIGESTS)
def test_good_digests_are_valid(digest):
    assert is_avatar_digest(digest)


@pytest.mark.parametrize("digest", BAD_DIGESTS)
def test_bad_digests_are_invalid(digest):
    assert not is_avatar_digest(digest)


@pytest.mark.parametrize("digest", BAD_DIGESTS)
def test_bad_digests_raise(digest):
    with pytest.raises(ValueError):
        identicon_svg(digest)


@pytest.mark.parametrize("size", [0, -1, True, 8.0, "80"])
def test_bad_size_raises(size):
    with pytest.raises(ValueError):
        identicon_svg("0123456789abcdef", size)


@pytest.mark.parametrize("digest", GOOD_DIGESTS)
def test_deterministic(digest):
    assert identicon_svg(digest) == identicon_svg(digest)
    assert identicon_svg(digest, 40) == identicon_svg(digest, 40)


def test_distinct_digests_give_distinct_svgs():
    digests = {secrets.token_hex(8) for _ in range(200)}
    outputs = {identicon_svg(d) for d in digests}
    assert len(outputs) >= min(190, len(digests))


@pytest.mark.parametrize("digest", GOOD_DIGESTS)
def test_svg_structure(digest):
    svg = identicon_svg(digest)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 5 5"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "avatar"
    assert root.get("shape-rendering") == "crispEdges"
    assert [child.tag for child in root] == [f"{SVG_NS}rect", f"{SVG_NS}path"]
    assert root.find(f"{SVG_NS}rect").get("fill") == "#f0f0f0"
    assert re.fullmatch(r"#[0-9a-f]{6}", root.find(f"{SVG_NS}path").get("fill"))
    assert all((el.text or "").strip() == "" for el in root.iter())
    assert not any(n.lower().startswith("on") for el in root.iter() for n in el.attrib)
    for forbidden in ("<script", "href", "url(", "<!", "<?", "<text"):
        assert forbidden not in svg.lower(), forbidden


@pytest.mark.parametrize("digest", GOOD_DIGESTS + ["a" * 16, "0f" * 8])
def test_mirror_symmetry_and_never_blank(digest):
    filled = cells(identicon_svg(digest))
    assert filled
    assert all(0 <= x < 5 and 0 <= y < 5 for x, y in filled)
    for x in range(5):
        for y in range(5):
            assert ((x, y) in filled) == ((4 - x, y) in filled)


@pytest.mark.parametrize("digest", ["0000000000000000", "ffffffffffff8000"])
def test_zero_bits_fill_centre_column(digest):
    assert cells(identicon_svg(digest)) == {(2, y) for y in range(5)}


def test_random_digests_symmetric_and_never_blank():
    for _ in range(200):
        filled = cells(identicon_svg(secrets.token_hex(8)))
        assert filled
        assert all(((4 - x, y) in filled) for x, y in filled)


@pytest.mark.parametrize("digest", GOOD_DIGESTS + ["1234567890123456"])
def test_digest_not_echoed(digest):
    assert digest not in identicon_svg(digest)


@pytest.mark.parametrize("size", [1, 16, 80, 256])
def test_size_sets_width_and_height(size):
    root = ET.fromstring(identicon_svg("0123456789abcdef", size))
    assert root.get("width") == str(size)
    assert root.get("height") == str(size)


def test_default_size_is_80():
    root = ET.fromstring(identicon_svg("0123456789abcdef"))
    assert (root.get("width"), root.get("height")) == ("80", "80")
