"""The `flask --app app …` commands for operators: the database, the team, rules, people, purging, the worker,
webhooks, imports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every command with `flask --app app`."""
    from moderation.cli import admin, migrations, notify, people, rules, team, transfer, webhooks

    for command in (*admin.COMMANDS, *team.COMMANDS, *rules.COMMANDS, *migrations.COMMANDS, *people.COMMANDS,
                    *notify.COMMANDS, *webhooks.COMMANDS, *transfer.COMMANDS):
        app.cli.add_command(command)
