"""Schema migrations: the head equals the models on both databases, and init-db upgrades a database
of the release before migrations keeping every row.

These tests empty the database themselves (the PostgreSQL one too, alembic_version included)
and leave it as the `postgres_url` fixture made it: the models' schema, stamped at the head.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import Engine, MetaData, create_engine, inspect, select, text

from moderation import create_app
from moderation.shared import of
from moderation.store import migrate
from moderation.store.database import create_schema
from moderation.store.models import Base, Comment

from helpers import DATA, TEST_SECRET, log_in, submit

# What tests/data/make_release_0.py put in the fixture (see the header of the .sql files).
MODERATOR, PASSWORD = "rosa", "release 0 password"
TOKEN = "mod_release-0-fixture-token-for-the-upgrade-test"
EMAILS = {"Pia Pending": "pia@example.org", "Abe Approved": "abe@example.org",
          "Rex Rejected": "rex@example.org", "Sam Spammer": "sam@example.org"}
STATES = {"Pia Pending": "pending", "Abe Approved": "approved", "Rex Rejected": "rejected", "Sam Spammer": "spam"}
HOLD_WORD = "casino"


def wipe(url: str) -> None:
    """Drop every table of the database, alembic_version included: an empty database."""
    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine)
    tables.drop_all(engine)
    engine.dispose()


@pytest.fixture
def empty_url(database_url: str) -> Iterator[str]:
    """An empty database; afterwards, the models' schema again (what the other tests expect)."""
    wipe(database_url)
    yield database_url
    if database_url.startswith("postgresql"):
        wipe(database_url)
        engine = create_engine(database_url)
        create_schema(engine)
        engine.dispose()


@pytest.fixture
def bare_app(empty_url: str) -> Iterator[Flask]:
    """An app on the empty database, with no schema made for it (init-db's job here)."""
    app = create_app({"DATABASE_URL": empty_url, "SECRET_KEY": TEST_SECRET, "RATELIMIT": "0",
                      "MIN_FORM_SECONDS": 0, "RATELIMIT_STORAGE": "", "TESTING": True})
    yield app
    of(app).engine.dispose()


def differences(engine: Engine) -> list[Any]:
    """What Alembic's autogenerate would change to make the database equal the models."""
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def describe(engine: Engine) -> dict[str, Any]:
    """Every table as the database reports it: columns, keys, indexes, unique and check constraints."""
    inspector = inspect(engine)
    found: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        columns = [(c["name"], str(c["type"]), c["nullable"], c["default"], c.get("autoincrement"))
                   for c in inspector.get_columns(table)]
        found[table] = {
            "columns": columns,
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted((fk["constrained_columns"], fk["referred_table"], fk["referred_columns"],
                                    fk["options"].get("ondelete")) for fk in inspector.get_foreign_keys(table)),
            "indexes": sorted((i["name"], i["column_names"], bool(i["unique"])) for i in inspector.get_indexes(table)),
            "unique": sorted((u["name"], u["column_names"]) for u in inspector.get_unique_constraints(table)),
            "checks": sorted((c["name"], " ".join(c["sqltext"].split())) for c in inspector.get_check_constraints(table)),
        }
    if engine.dialect.name == "sqlite":  # the CREATE statements themselves, AUTOINCREMENT included
        with engine.connect() as connection:
            found["sqlite_master"] = sorted((kind, name, same_sql(name, sql)) for kind, name, sql in
                                            connection.exec_driver_sql("SELECT type, name, sql FROM sqlite_master "
                                                                       "WHERE name NOT LIKE 'sqlite_%'"))
    return found


def same_sql(name: str, sql: str) -> str:
    """A CREATE statement as SQLite keeps it, less what ALTER TABLE changes without meaning: the
    spacing of an added column, and the quotes a batch-copied table's renamed name gains."""
    return " ".join(sql.split()).replace(f'CREATE TABLE "{name}"', f"CREATE TABLE {name}", 1)


def load(url: str, sql: str) -> None:
    """Run a whole SQL script on the database at url."""
    engine = create_engine(url)
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        if engine.dialect.name == "sqlite":
            driver.executescript(sql)
        else:
            driver.execute(sql)
    engine.dispose()


def rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but alembic_version, in primary-key order, as the database returns them."""
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
                for name, table in tables.tables.items() if name != "alembic_version"}


def test_the_migrations_head_equals_the_models(empty_url: str) -> None:
    engine = create_engine(empty_url)
    assert migrate.upgrade(engine) == (None, migrate.head(), False)
    assert differences(engine) == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, version FROM rules_version")).all() == [(1, 1)]
    engine.dispose()


def test_create_schema_makes_what_the_migrations_make(empty_url: str) -> None:
    engine = create_engine(empty_url)
    migrate.upgrade(engine)
    migrated = describe(engine)
    engine.dispose()
    wipe(empty_url)
    engine = create_engine(empty_url)
    create_schema(engine)
    assert migrate.current(engine) == migrate.head()  # stamped, so init-db leaves it be
    assert describe(engine) == migrated
    engine.dispose()


def test_a_release_0_database_is_upgraded_with_every_row(bare_app: Flask, empty_url: str) -> None:
    dialect = "postgresql" if empty_url.startswith("postgresql") else "sqlite"
    load(empty_url, (DATA / f"release_0_{dialect}.sql").read_text())
    engine = of(bare_app).engine
    before = rows(engine)
    assert len(before["comments"]) == 4 and len(before["audit_log"]) == 6 and migrate.current(engine) is None

    result = bare_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert f"stamped at revision {migrate.BASELINE}" in result.output and "Database ready" in result.output
    assert "Already at" not in result.output  # it was nowhere until stamped
    assert migrate.current(engine) == migrate.head()
    assert differences(engine) == []
    after = rows(engine)
    for table, old_rows in before.items():  # a later revision may add columns: compare the old ones
        assert [row[:len(old_rows[0])] for row in after[table]] == old_rows if old_rows else after[table] == [], table

    vault = of(bare_app).vault
    with engine.connect() as connection:
        sealed = connection.execute(select(Comment.author_name, Comment.email_sealed, Comment.email_key_id)).all()
    assert {name: vault.open(seal, key) for name, seal, key in sealed} == EMAILS

    client = bare_app.test_client()
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    for name, state in STATES.items():
        queue = client.get(f"/api/v1/moderation/queue?status={state}", headers=bearer)
        assert queue.status_code == 200, queue.json
        assert [(c["author"]["name"], c["email"]) for c in queue.json["comments"]] == [(name, EMAILS[name])]
    held = submit(client, "release-0", body=f"Visit my {HOLD_WORD} now.")
    assert held.status_code == 202 and held.json["id"] == 5  # ids go on after the old ones
    pending = client.get("/api/v1/moderation/queue?status=pending", headers=bearer).json["comments"]
    assert [(c["id"], c["reason"]) for c in pending if c["id"] == 5] == [(5, f"held: word '{HOLD_WORD}'")]

    assert log_in(client, MODERATOR, PASSWORD).status_code == 303
    audit = client.get("/moderate/audit").get_data(as_text=True)
    for action in ("approved", "rejected", "spam", "word_added", "blocked"):
        assert f"action-{action}" in audit, action
    # 0002: every moderator of the old release may still do everything (an admin); the token got
    # no label and no expiry; the retention purge is due at once.
    assert client.get("/moderate/rules").status_code == 200
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name, role FROM moderators")).all() == [(MODERATOR, "admin")]
        assert connection.execute(text("SELECT label, expires_at FROM api_tokens")).all() == [(None, None)]
        assert connection.execute(text("SELECT name FROM scheduled_jobs")).all() == [("purge",)]


def test_0002_downgrades_to_the_baseline_and_upgrades_again_keeping_every_row(bare_app: Flask,
                                                                                empty_url: str) -> None:
    dialect = "postgresql" if empty_url.startswith("postgresql") else "sqlite"
    load(empty_url, (DATA / f"release_0_{dialect}.sql").read_text())
    engine = of(bare_app).engine
    before = rows(engine)
    migrate.upgrade(engine)
    runner = bare_app.test_cli_runner()
    down = runner.invoke(args=["db", "downgrade", migrate.BASELINE])
    assert down.exit_code == 0 and f"Downgraded to revision {migrate.BASELINE}" in down.output, down.output
    assert rows(engine) == before  # the baseline's columns, every row as the old release left it
    assert "role" not in {c["name"] for c in inspect(engine).get_columns("moderators")}
    assert not inspect(engine).has_table("scheduled_jobs")
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert migrate.current(engine) == migrate.head() and differences(engine) == []
    after = rows(engine)
    for table, old_rows in before.items():
        assert [row[:len(old_rows[0])] for row in after[table]] == old_rows if old_rows else after[table] == [], table


def test_init_db_creates_then_leaves_be_and_db_current_prints_the_head(bare_app: Flask) -> None:
    runner = bare_app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    assert f"Upgraded from revision (empty database) to {migrate.head()}" in first.output
    assert submit(bare_app.test_client()).status_code == 202
    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0 and f"Already at revision {migrate.head()}" in again.output, again.output
    assert len(rows(of(bare_app).engine)["comments"]) == 1
    current = runner.invoke(args=["db", "current"])
    assert current.exit_code == 0 and current.output == f"{migrate.head()} (head)\n", current.output
    history = runner.invoke(args=["db", "history"])
    assert history.exit_code == 0 and f"-> {migrate.head()} (head) (current)" in history.output, history.output
    assert f"<base> -> {migrate.BASELINE}, Baseline" in history.output, history.output


def test_downgrade_to_base_and_upgrade_again(bare_app: Flask) -> None:
    runner = bare_app.test_cli_runner()
    engine = of(bare_app).engine
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    down = runner.invoke(args=["db", "downgrade", "base"])
    assert down.exit_code == 0 and "Downgraded to revision (none: empty database)" in down.output, down.output
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert runner.invoke(args=["db", "current"]).output.startswith("(none); the latest is")
    up = runner.invoke(args=["db", "upgrade", migrate.BASELINE])
    assert up.exit_code == 0 and f"to {migrate.BASELINE}" in up.output, up.output
    assert differences(engine) == [] if migrate.BASELINE == migrate.head() else True


@pytest.mark.parametrize(("args", "message"), [
    (["db", "downgrade", "nonesuch"], "Can't locate revision identified by 'nonesuch'"),
    (["db", "upgrade", "nonesuch"], "Can't locate revision identified by 'nonesuch'"),
    (["db", "downgrade"], "Missing argument 'REVISION'"),
])
def test_bad_revisions_are_refused_clearly(bare_app: Flask, args: list[str], message: str) -> None:
    result = bare_app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0 and message in result.output + str(result.exception), result.output


def test_a_database_with_only_some_tables_is_refused(bare_app: Flask) -> None:
    with of(bare_app).engine.begin() as connection:
        Base.metadata.tables["articles"].create(connection)
    result = bare_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code != 0
    assert "Cannot migrate: the database has some tables but not api_tokens, audit_log" in result.output
    assert inspect(of(bare_app).engine).get_table_names() == ["articles"]


def test_the_fixture_files_say_how_they_were_made() -> None:
    for dialect in ("sqlite", "postgresql"):
        head = (DATA / f"release_0_{dialect}.sql").read_text().splitlines()[1]
        assert "tests/data/make_release_0.py" in head
    assert Path(DATA / "make_release_0.py").exists()


NEXT_REVISIONS = {
    "0902_articles_note.py": '''
"""Add articles.note (a test revision that copies a referenced table on SQLite)."""
import sqlalchemy as sa
from alembic import op

revision, down_revision, branch_labels, depends_on = "0902", "{head}", None, None
COPY = "always" if op.get_context().dialect.name == "sqlite" else "auto"  # SQLite: copy the table


def upgrade() -> None:
    with op.batch_alter_table("articles", recreate=COPY) as batch:
        batch.add_column(sa.Column("note", sa.String(50), nullable=True))
    op.execute("UPDATE articles SET note = 'kept'")


def downgrade() -> None:
    with op.batch_alter_table("articles", recreate=COPY) as batch:
        batch.drop_column("note")
''',
    "0903_broken.py": '''
"""A revision that fails half-way: everything it did must be undone."""
import sqlalchemy as sa
from alembic import op

revision, down_revision, branch_labels, depends_on = "0903", "0902", None, None


def upgrade() -> None:
    op.add_column("comments", sa.Column("half_done", sa.Integer(), nullable=True))
    op.execute("UPDATE comments SET body_text = 'overwritten'")
    raise RuntimeError("this revision fails on purpose")


def downgrade() -> None:
    pass
''',
}


def test_a_new_revision_upgrades_and_downgrades_and_a_failed_one_changes_nothing(
        bare_app: Flask, empty_url: str, tmp_path: Path) -> None:
    import shutil

    from alembic import command

    dialect = "postgresql" if empty_url.startswith("postgresql") else "sqlite"
    load(empty_url, (DATA / f"release_0_{dialect}.sql").read_text())
    engine = of(bare_app).engine
    migrate.upgrade(engine)
    folder = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name, source in NEXT_REVISIONS.items():
        (folder / "versions" / name).write_text(source.replace("{head}", migrate.head()))
    config = migrate.alembic_config(engine)
    config.set_main_option("script_location", str(folder))
    before = rows(engine)

    command.upgrade(config, "0902")  # copies articles on SQLite: its comments must not cascade away
    assert migrate.current(engine) == "0902"
    assert rows(engine)["comments"] == before["comments"]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, note FROM articles")).all() == [("release-0", "kept")]

    with pytest.raises(RuntimeError, match="fails on purpose"):
        command.upgrade(config, "0903")
    assert migrate.current(engine) == "0902"  # one transaction: nothing of 0903 stayed
    assert "half_done" not in {c["name"] for c in inspect(engine).get_columns("comments")}
    assert rows(engine)["comments"] == before["comments"]

    command.downgrade(config, migrate.head())
    assert migrate.current(engine) == migrate.head()
    assert "note" not in {c["name"] for c in inspect(engine).get_columns("articles")}
    assert rows(engine) == before
    assert differences(engine) == []
