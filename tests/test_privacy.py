"""Emails stay private: sealed at rest, never on a public surface, not even hashed."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from cryptography.exceptions import InvalidTag

from moderation.core.privacy import EmailVault
from moderation.shared import of

from helpers import add_moderator, approved, make_app, submit

COMMENTER_IP = "203.0.113.77"
EMAILS = ["Ann.Private@Example.org", "bob.secret@example.net", "carol+tag@example.com"]


def test_seal_and_open_round_trip() -> None:
    vault = EmailVault("secret one")
    sealed, key_id = vault.seal("ann@example.org")
    assert b"ann@example.org" not in sealed
    assert vault.open(sealed, key_id) == "ann@example.org"
    assert vault.seal("ann@example.org")[0] != sealed  # a fresh nonce every time


def test_tampering_is_detected() -> None:
    vault = EmailVault("secret one")
    sealed, key_id = vault.seal("ann@example.org")
    with pytest.raises(InvalidTag):
        vault.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), key_id)


def test_key_rotation_keeps_old_emails_readable() -> None:
    old = EmailVault("old secret")
    sealed, old_key = old.seal("ann@example.org")
    new = EmailVault("new secret", old_secret_keys=("old secret",))
    assert new.key_id != old_key
    assert new.open(sealed, old_key) == "ann@example.org"
    assert new.seal("x@example.org")[1] == new.key_id
    with pytest.raises(KeyError):
        EmailVault("new secret").open(sealed, old_key)


def test_digests_are_keyed_and_separate() -> None:
    vault, other = EmailVault("secret one"), EmailVault("secret two")
    assert vault.digest("Ann@Example.org") == vault.digest("ann@example.org")
    assert vault.digest("ann@example.org") != other.digest("ann@example.org")
    assert vault.digest("ann@example.org") != hashlib.sha256(b"ann@example.org").hexdigest()
    assert vault.avatar("ann@example.org", "key-hash") not in vault.digest("ann@example.org")
    assert len(vault.avatar("ann@example.org", "key-hash")) == 16


def test_an_avatar_needs_the_email_and_the_authors_key() -> None:
    vault = EmailVault("secret one")
    assert vault.avatar("Ann@Example.org", "ann's key") == vault.avatar("ann@example.org", "ann's key")
    assert vault.avatar("ann@example.org", "a stranger's key") != vault.avatar("ann@example.org", "ann's key")


def test_digests_under_retired_keys_are_still_looked_up() -> None:
    old, rotated = EmailVault("old secret"), EmailVault("new secret", old_secret_keys=("old secret",))
    assert rotated.digests("ann@example.org") == (EmailVault("new secret").digest("ann@example.org"),
                                                   old.digest("ann@example.org"))
    assert rotated.digest("ann@example.org") == rotated.digests("ann@example.org")[0]


def forbidden_strings(email: str) -> set[str]:
    """The email and every unkeyed hash of it that would give it away."""
    found = set()
    for form in {email, email.lower(), email.strip().lower()}:
        found.add(form)
        for algorithm in ("md5", "sha1", "sha256"):
            found.add(hashlib.new(algorithm, form.encode()).hexdigest())
    return found


def test_no_public_surface_shows_an_email_or_its_hash(client, token) -> None:  # type: ignore[no-untyped-def]
    client.environ_base["REMOTE_ADDR"] = COMMENTER_IP  # IP addresses are never public either
    responses = []
    parent = None
    for number, email in enumerate(EMAILS):
        responses.append(submit(client, email=email, body=f"pending {number}"))
        parent = approved(client, token, email=email, body=f"approved {number}")
    responses.append(submit(client, email=EMAILS[0], body="a reply", parent_id=parent))
    responses.append(submit(client, email=EMAILS[0], body="approved 0"))  # the 409
    responses.append(submit(client, email="not an email", body="x"))  # the 422
    form = client.post("/comments", data={"comment": "by the plain form", "author": "Ann", "email": EMAILS[1],
                                          "comment_post_ID": "12345"})
    assert form.status_code == 303
    page = client.get("/api/v1/articles/12345/comments")
    responses += [page, form, client.get(form.headers["Location"]), client.get("/api/v1/counts?article=12345"),
                  client.get("/api/v1/openapi.json"), client.get("/api/v1/form-token"), client.get("/healthz"),
                  client.get("/"), client.get("/embed.js"), client.get("/demo/"),
                  client.get("/demo/read-before-published"), client.get("/no/such/page"), client.get("/api/v1/nope")]
    responses += [client.get(c["author"]["avatar"]) for c in page.json["comments"]]
    assert len(page.json["comments"]) == 3
    queue = client.get("/api/v1/moderation/queue?status=approved", headers={"Authorization": f"Bearer {token}"})
    assert {c["ip"] for c in queue.json["comments"]} == {COMMENTER_IP}  # recorded, for moderators only
    for response in responses:
        text = response.get_data(as_text=True) + str(response.headers)
        response.close()
        for secret in {COMMENTER_IP}.union(*map(forbidden_strings, EMAILS)):
            assert secret not in text, (response.request.path, secret)


def test_no_plaintext_email_in_the_sqlite_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "private.sqlite3"
    app = make_app(f"sqlite:///{path}")
    client = app.test_client()
    moderator_token = add_moderator(app)
    for number, email in enumerate(EMAILS):
        approved(client, moderator_token, email=email, body=f"comment {number}")
    raw = b"".join(file.read_bytes() for file in tmp_path.iterdir() if file.name.startswith("private"))
    connection = sqlite3.connect(path)
    try:  # the data really is there, sealed
        assert connection.execute("SELECT count(*) FROM comments").fetchone()[0] == 3
    finally:
        connection.close()
    of(app).engine.dispose()
    for email in EMAILS:
        for form in (email, email.lower(), email.split("@")[0]):
            assert form.encode() not in raw
            assert form.encode("utf-16-le") not in raw
