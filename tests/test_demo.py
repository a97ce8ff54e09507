"""The demo blog: seeded once with a short threaded conversation (what a newcomer sees
first), and off — a 404, not linked, not seeded — where MODERATION_DEMO says so."""

from __future__ import annotations

import pytest

from helpers import make_app, moderate

ARTICLE = "/api/v1/articles/demo-read-before-published/comments"


def test_seeding_gives_each_demo_article_a_threaded_conversation_once(app, client, runner, token) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "Seeded the demo blog with 10 approved comments." in result.output
    body = client.get(ARTICLE).json
    assert body["count"] == 5 and body["closed"] is False
    names = [c["author"]["name"] for c in body["comments"]]
    assert names[:3] == ["Maren Holt", "Theo Brandt", "Maren Holt"]
    by_id = {c["id"]: c for c in body["comments"]}
    replies = [c for c in body["comments"] if c["parent_id"]]
    assert len(replies) == 3 and all(by_id[c["parent_id"]]["created_at"] < c["created_at"] for c in replies)
    assert len({c["author"]["avatar"] for c in body["comments"]}) == 4  # one picture per person
    assert "@example.org" not in client.get(ARTICLE).get_data(as_text=True)
    counts = client.get("/api/v1/counts?article=demo-paper-maps&article=demo-garden-notebook").json["counts"]
    assert counts == {"demo-paper-maps": 3, "demo-garden-notebook": 2}
    moderate(client, token, body["comments"][0]["id"], "delete")  # a moderator clears one…
    again = runner.invoke(args=["seed-demo"])
    assert "nothing seeded" in again.output and client.get(ARTICLE).json["count"] == 4  # …and it stays gone


def test_the_demo_can_be_turned_off(database_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(database_url, DEMO=False)
    client = app.test_client()
    for path in ("/demo/", "/demo/paper-maps", "/demo/nothing"):
        assert client.get(path).status_code == 404
    assert "/demo/" not in client.get("/").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "nothing seeded" in result.output
    assert client.get(ARTICLE).json["count"] == 0


def test_the_demo_is_on_by_default(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/demo/").status_code == 200
    assert 'href="/demo/"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("value", ["0", "false", "off", "no"])
def test_the_setting_reads_like_the_others(monkeypatch, tmp_path, value) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MODERATION_DEMO", value)
    app = make_app(f"sqlite:///{tmp_path}/demo.db")
    assert app.config["DEMO"] is False
