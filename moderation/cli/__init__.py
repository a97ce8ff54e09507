"""The `flask --app app …` commands for operators: the database, moderators, rules, purging."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every command with `flask --app app`."""
    from moderation.cli import admin, migrations, people, rules

    for command in (*admin.COMMANDS, *rules.COMMANDS, *migrations.COMMANDS, *people.COMMANDS):
        app.cli.add_command(command)
