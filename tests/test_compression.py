"""Text answers compressed for clients that take it (brotli, gzip), the same bytes once
decoded, revalidating as before; small answers and clients that take neither get plain text.
On SQLite only: what goes out compressed does not depend on the database."""

from __future__ import annotations

import gzip

import brotli
import pytest

from helpers import add_moderator, approved, log_in, make_app

LIST = "/api/v1/articles/12345/comments"


def decoded(response) -> bytes:  # type: ignore[no-untyped-def]
    body, encoding = response.get_data(), response.headers.get("Content-Encoding")
    return {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[encoding](body)


@pytest.fixture
def client(tmp_path):  # type: ignore[no-untyped-def]
    return make_app(f"sqlite:///{tmp_path}/compression.sqlite3").test_client()


@pytest.fixture
def comments(client) -> None:  # type: ignore[no-untyped-def]
    token = add_moderator(client.application)
    for n in range(6):
        approved(client, token, body=f"Comment number {n}, long enough to be worth compressing. " * 3)


@pytest.mark.parametrize("path", [LIST, LIST + "?order=newest", "/articles/12345/comments.html", "/embed.js",
                                  "/demo/", "/feeds/articles/12345.atom", "/api/v1/openapi.json"])
@pytest.mark.parametrize("accept, expected", [("gzip, deflate, br", "br"), ("gzip", "gzip"),
                                              ("br;q=0.4, gzip;q=0.8", "gzip"), ("identity", None)])
def test_text_goes_out_compressed_when_the_client_takes_it(client, comments, path, accept, expected) -> None:  # type: ignore[no-untyped-def]
    with client.get(path) as plain, client.get(path, headers={"Accept-Encoding": accept}) as response:
        assert response.status_code == plain.status_code == 200
        assert response.headers.get("Content-Encoding") == expected
        assert "Accept-Encoding" in response.headers["Vary"]
        assert decoded(response) == plain.get_data()
        if expected:
            assert len(response.get_data()) < len(plain.get_data()) / 2


def test_the_list_is_compressed_once_per_version_and_encoding(client, comments) -> None:  # type: ignore[no-untyped-def]
    first = client.get(LIST, headers={"Accept-Encoding": "gzip"})
    again = client.get(LIST, headers={"Accept-Encoding": "gzip"})
    assert first.get_data() == again.get_data()  # from the cache: gzip without a timestamp
    assert first.headers["Content-Length"] == str(len(first.get_data()))


def test_a_compressed_list_revalidates_with_either_etag(client, comments) -> None:  # type: ignore[no-untyped-def]
    plain = client.get(LIST)
    packed = client.get(LIST, headers={"Accept-Encoding": "br"})
    assert packed.headers["ETag"] == "W/" + plain.headers["ETag"]  # weak: another encoding, the same page
    for etag in (plain.headers["ETag"], packed.headers["ETag"]):
        for accept in ("br", ""):
            assert client.get(LIST, headers={"If-None-Match": etag, "Accept-Encoding": accept}).status_code == 304


def test_small_answers_stay_plain(client) -> None:  # type: ignore[no-untyped-def]
    for path in (LIST, "/api/v1/counts?article=12345", "/healthz"):
        response = client.get(path, headers={"Accept-Encoding": "br, gzip"})
        assert "Content-Encoding" not in response.headers and len(response.get_data()) < 500


def test_embed_js_revalidates_when_compressed(client) -> None:  # type: ignore[no-untyped-def]
    with client.get("/embed.js", headers={"Accept-Encoding": "br"}) as first:
        assert first.headers["Content-Encoding"] == "br"
        etag = first.headers["ETag"]
    with client.get("/embed.js", headers={"Accept-Encoding": "br", "If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_the_moderators_pages_are_never_compressed(client) -> None:  # type: ignore[no-untyped-def]
    """They carry a CSRF token beside a stranger's text (BREACH would read the token from the sizes)."""
    add_moderator(client.application)
    login = client.get("/moderate/login", headers={"Accept-Encoding": "gzip, br"})
    assert login.status_code == 200 and "Content-Encoding" not in login.headers
    log_in(client)
    for n in range(6):
        client.post("/api/v1/articles/12345/comments", json={"name": "Ann", "email": f"a{n}@example.org",
                                                             "body": "Waiting for a moderator, long enough. " * 5})
    for path in ("/moderate/", "/moderate/audit"):
        response = client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert response.status_code == 200 and len(response.get_data()) > 500, path
        assert "Content-Encoding" not in response.headers, path
    assert client.get("/", headers={"Accept-Encoding": "gzip"}).headers.get("Content-Encoding") == "gzip"


@pytest.mark.parametrize("path", ["/embed.js", "/static/pages.css"])
def test_static_files_go_out_at_the_best_level_once(client, path) -> None:  # type: ignore[no-untyped-def]
    with client.get(path) as plain:
        raw = plain.get_data()
    for accept, unpack, best in (("br", brotli.decompress, lambda b: brotli.compress(b, quality=11)),
                                 ("gzip", gzip.decompress, lambda b: gzip.compress(b, 9, mtime=0))):
        with client.get(path, headers={"Accept-Encoding": accept}) as first, \
                client.get(path, headers={"Accept-Encoding": accept}) as again:
            assert first.headers["Content-Encoding"] == accept and unpack(first.get_data()) == raw
            assert first.get_data() == again.get_data() == best(raw)  # the best level, the same bytes each time
            assert first.headers["ETag"].startswith('W/"')
