"""The command line of the contract: init-db, create-moderator, create-token."""

from __future__ import annotations

from helpers import submit


def test_create_moderator_and_token(runner, client) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["create-moderator", "ann", "--password-stdin"], input="long enough pw\n")
    assert result.exit_code == 0 and "created" in result.output
    result = runner.invoke(args=["create-token", "ann"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("mod_") and len(token) > 40
    submit(client)
    assert client.get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    second = runner.invoke(args=["create-token", "ann"]).output.strip().splitlines()[-1]
    assert second != token


def test_password_prompt_asks_twice(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["create-moderator", "bob"], input="a good password\na good password\n")
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Repeat for confirmation" in result.output


def test_existing_moderator_gets_a_new_password(app, runner) -> None:  # type: ignore[no-untyped-def]
    from moderation.core import credentials as auth
    from moderation.store import moderators as store

    runner.invoke(args=["create-moderator", "ann", "--password-stdin"], input="first password\n")
    result = runner.invoke(args=["create-moderator", "ann", "--password-stdin"], input="second password\n")
    assert "password changed" in result.output
    with app.app_context():
        moderator = store.moderator_by_name("ann")
        assert auth.check_password(moderator.password_hash, "second password")
        assert not auth.check_password(moderator.password_hash, "first password")
        assert "second password" not in moderator.password_hash


def test_errors_are_clear(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["create-moderator", "ann", "--password-stdin"], input="short\n")
    assert result.exit_code != 0 and "at least 8" in result.output
    result = runner.invoke(args=["create-token", "nobody"])
    assert result.exit_code != 0 and "no moderator 'nobody'" in result.output


def test_rule_commands_refuse_bad_input_clearly(runner) -> None:  # type: ignore[no-untyped-def]
    cases = [
        (["blocks", "add", "ip", "300.1.1.1"], "is not an IP address or CIDR range"),
        (["blocks", "add", "email", "not-an-email"], "is not an email address"),
        (["words", "add", "maybe", "x"], "'maybe' is not one of 'hold', 'spam'"),
        (["words", "add", "spam", "x" * 201], "each word or phrase may be at most 200 characters"),
        (["words", "add", "hold", " "], "enter at least one word or phrase"),
        (["blocks", "add", "ip", "192.0.2.1", "--note", "n" * 201], "may be at most 200 characters"),
        (["article", "no-such-article", "--close"], "There is no article 'no-such-article'"),
        (["article", "x", "--premoderation", "sometimes"], "'sometimes' is not one of"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
