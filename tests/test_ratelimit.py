"""Per-client submission limits: by address, behind proxies, across instances and Redis."""

from __future__ import annotations

import uuid

import pytest

from moderation.core.addresses import client_key

from helpers import comment, make_app


def post(client, address: str = "203.0.113.5", headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Submit a fresh comment from an address."""
    return client.post("/api/v1/articles/limits/comments", json=comment(body=uuid.uuid4().hex),
                       environ_base={"REMOTE_ADDR": address}, headers=headers or {})


@pytest.mark.parametrize("address, key", [
    ("203.0.113.5", "203.0.113.5"),
    ("::ffff:203.0.113.5", "203.0.113.5"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("not an address", "unknown"),  # garbage from a proxy shares one bucket: varying it evades nothing
    (None, "unknown"),
])
def test_client_keys(address: str | None, key: str) -> None:
    assert client_key(address) == key


def test_limit_per_client_address(database_url: str) -> None:
    client = make_app(database_url, RATELIMIT="3/minute", FLOOD_SECONDS=0).test_client()
    assert [post(client).status_code for _ in range(3)] == [202, 202, 202]
    refused = post(client)
    assert refused.status_code == 429
    assert refused.json["error"] == "rate_limited" and refused.json["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert post(client, "198.51.100.7").status_code == 202  # someone else is not limited


def test_ipv6_neighbours_share_a_limit_and_mapped_ipv4_is_ipv4(database_url: str) -> None:
    client = make_app(database_url, RATELIMIT="2/minute", FLOOD_SECONDS=0).test_client()
    assert post(client, "2001:db8::1").status_code == 202
    assert post(client, "2001:db8::ffff:2").status_code == 202
    assert post(client, "2001:db8::3").status_code == 429
    assert post(client, "2001:db8:0:1::1").status_code == 202
    assert post(client, "192.0.2.1").status_code == 202
    assert post(client, "::ffff:192.0.2.1").status_code == 202
    assert post(client, "192.0.2.1").status_code == 429


def test_a_spoofed_forwarded_for_does_not_evade_the_limit(database_url: str) -> None:
    client = make_app(database_url, RATELIMIT="2/minute", FLOOD_SECONDS=0).test_client()
    codes = [post(client, headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(4)]
    assert codes == [202, 202, 429, 429]


def test_trusted_proxies_give_the_client_address(database_url: str) -> None:
    client = make_app(database_url, RATELIMIT="2/minute", FLOOD_SECONDS=0, TRUSTED_PROXIES=1).test_client()
    proxy = "127.0.0.1"
    for visitor in ("198.51.100.1", "198.51.100.2"):
        codes = [post(client, proxy, {"X-Forwarded-For": f"6.6.6.6, {visitor}"}).status_code for _ in range(3)]
        assert codes == [202, 202, 429]


def test_two_instances_on_one_database_share_the_limit(database_url: str) -> None:
    first = make_app(database_url, RATELIMIT="3/minute", FLOOD_SECONDS=0).test_client()
    second = make_app(database_url, RATELIMIT="3/minute", FLOOD_SECONDS=0).test_client()
    codes = [post(client).status_code for client in (first, second, first, second)]
    assert codes == [202, 202, 202, 429]


def test_two_instances_share_the_limit_through_redis(tmp_path, redis_url) -> None:  # type: ignore[no-untyped-def]
    import redis

    settings = {"RATELIMIT": "3/minute", "FLOOD_SECONDS": 0, "RATELIMIT_STORAGE": redis_url}
    # Separate databases: only Redis can carry the count from one instance to the other.
    first = make_app(f"sqlite:///{tmp_path}/one.sqlite3", **settings).test_client()
    second = make_app(f"sqlite:///{tmp_path}/two.sqlite3", **settings).test_client()
    codes = [post(client).status_code for client in (first, second, first, second)]
    assert codes == [202, 202, 202, 429]
    connection = redis.Redis.from_url(redis_url)
    assert any(key.startswith(b"LIMITS") or b"moderation" in key for key in connection.keys("*"))
    connection.flushdb()
    connection.close()


def test_flood_interval(database_url: str) -> None:
    client = make_app(database_url, RATELIMIT="100/minute", FLOOD_SECONDS=15).test_client()
    assert post(client).status_code == 202
    refused = post(client)
    assert (refused.status_code, refused.json["error"]) == (429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 15
    assert post(client, "198.51.100.7").status_code == 202


def test_invalid_submissions_do_not_count(database_url: str) -> None:
    client = make_app(database_url, RATELIMIT="2/minute", FLOOD_SECONDS=15).test_client()
    bad = client.post("/api/v1/articles/limits/comments", json=comment(email="nope"),
                      environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert bad.status_code == 422
    assert post(client).status_code == 202  # fixing a field error is not flooding


def test_zero_turns_the_limit_off(database_url: str) -> None:
    client = make_app(database_url, RATELIMIT="0", FLOOD_SECONDS=15).test_client()
    assert {post(client).status_code for _ in range(12)} == {202}


def test_reading_is_never_limited(database_url: str) -> None:
    client = make_app(database_url, RATELIMIT="1/minute", FLOOD_SECONDS=0).test_client()
    post(client)
    assert {client.get("/api/v1/articles/limits/comments").status_code for _ in range(5)} == {200}
