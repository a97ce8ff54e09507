"""Writes release_0_sqlite.sql and release_0_postgresql.sql: a database of the release before migrations.

Made once, with that release's code (the commit before migrations/ was added), and committed
as SQL so the upgrade test loads the same schema and rows forever after, whatever the models
become:  .venv/bin/python tests/data/make_release_0.py
The rows are made through the app itself (API, token API, rule commands) on a fresh SQLite
database with the test secret key, then dumped as INSERTs after that release's DDL.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import select
from werkzeug.security import generate_password_hash

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2])]  # tests/, the repo

from moderation.core.credentials import token_hash
from moderation.shared import of
from moderation.store import moderators
from moderation.store.models import Base
from moderation.store.schema import ddl

from helpers import CHEAP_HASH, TEST_SECRET, close_apps, make_app, moderate, submit

HERE = Path(__file__).resolve().parent
MODERATOR, PASSWORD = "rosa", "release 0 password"
TOKEN = "mod_release-0-fixture-token-for-the-upgrade-test"
HOLD_WORD, SPAM_WORD, BLOCKED_IP = "casino", "viagra", "192.0.2.0/24"
# (author, email, body, action by the moderator or None for pending)
COMMENTS = [
    ("Pia Pending", "pia@example.org", "Still waiting for a moderator.", None),
    ("Abe Approved", "abe@example.org", "A thoughtful, approved comment.", "approve"),
    ("Rex Rejected", "rex@example.org", "Off topic, rejected.", "reject"),
    ("Sam Spammer", "sam@example.org", "Cheap pills, marked as spam.", "spam"),
]


def make_rows(url: str) -> None:
    """Fill a fresh database at url through the app, as the release's users would have."""
    app = make_app(url)
    when = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    with app.app_context():
        moderators.save_moderator(MODERATOR, generate_password_hash(PASSWORD, CHEAP_HASH), when)
        moderators.add_token(moderators.moderator_by_name(MODERATOR).id, token_hash(TOKEN), when)
    client = app.test_client()
    for name, email, body, action in COMMENTS:
        response = submit(client, "release-0", name=name, email=email, body=body)
        assert response.status_code == 202, response.json
        if action:
            assert moderate(client, TOKEN, response.json["id"], action).status_code == 200
    runner = app.test_cli_runner()
    for args in (["words", "add", "hold", HOLD_WORD], ["words", "add", "spam", SPAM_WORD],
                 ["blocks", "add", "ip", BLOCKED_IP, "--note", "a test range"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output


def literal(value: Any, dialect: str) -> str:
    """value as an SQL literal of dialect."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if dialect == "postgresql" else str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, bytes):
        return f"'\\x{value.hex()}'::bytea" if dialect == "postgresql" else f"X'{value.hex()}'"
    if isinstance(value, datetime):
        text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return f"'{text}+00'" if dialect == "postgresql" else f"'{text}'"
    return "'" + str(value).replace("'", "''") + "'"


def dump(url: str, dialect: str) -> str:
    """The release's DDL and every row of the database at url, as SQL for dialect."""
    engine = of(make_app(url)).engine
    lines = [f"-- A database of the release before migrations ({dialect}): schema and rows.",
             "-- Written by tests/data/make_release_0.py (see there); loaded by tests/test_migrations.py.",
             f"-- Test secret key {TEST_SECRET!r}; moderator {MODERATOR!r}, password {PASSWORD!r};",
             f"-- API token {TOKEN!r}.", "", ddl(dialect), ""]
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [column.name for column in table.columns]
            for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
                values = ", ".join(literal(value, dialect) for value in row)
                lines.append(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values});")
            serial = [column for column in table.primary_key.columns if column.autoincrement is True
                      or (column.autoincrement == "auto" and column.type.python_type is int)]
            if dialect == "postgresql" and serial:
                name = serial[0].name
                lines.append(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{name}'), "
                             f"(SELECT coalesce(max({name}), 0) + 1 FROM {table.name}), false);")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Make the rows once, then write one SQL file per dialect."""
    with TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/release_0.sqlite3"
        make_rows(url)
        for dialect in ("sqlite", "postgresql"):
            (HERE / f"release_0_{dialect}.sql").write_text(dump(url, dialect))
        close_apps()


if __name__ == "__main__":
    main()
