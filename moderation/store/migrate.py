"""Schema migrations: Alembic's configuration, and bringing any database to a revision.

The revisions live in the top-level migrations/ folder and are driven by the models. A
database made before migrations existed (its tables there, no alembic_version table) is
recognised, stamped at the baseline, and then upgraded like any other.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"
BASELINE = "0001"
# The tables of the release before migrations (the baseline revision creates exactly these).
BASELINE_TABLES = frozenset({
    "articles", "comments", "moderators", "moderator_sessions", "api_tokens", "audit_log",
    "rate_counters", "word_lists", "blocks", "form_token_uses", "rules_version"})


class UnknownSchema(Exception):
    """The database holds tables, no revision, and not the whole schema of the release before migrations."""


def alembic_config(engine: Engine, stdout: TextIO | None = None) -> Config:
    """Alembic's configuration, made in code: the migrations folder, and the engine to migrate."""
    config = Config(stdout=stdout or sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    """The latest revision."""
    latest = _scripts().get_current_head()
    assert latest is not None, "migrations/versions holds no revision"
    return latest


def stamp_head(connection: Connection) -> None:
    """Record, in the caller's transaction, that a database just made from the models is at the latest revision."""
    if inspect(connection).has_table("alembic_version"):  # left by a database that was emptied
        connection.execute(text("DELETE FROM alembic_version"))
    MigrationContext.configure(connection).stamp(_scripts(), "head")


def current(engine: Engine) -> str | None:
    """The database's revision, or None when it has none."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def stamp_if_unversioned(engine: Engine) -> bool:
    """Stamp a database made before migrations at the baseline; True when it was one."""
    tables = set(inspect(engine).get_table_names())
    if "alembic_version" in tables or not tables & BASELINE_TABLES:
        return False
    missing = sorted(BASELINE_TABLES - tables)
    if missing:
        raise UnknownSchema(f"the database has some tables but not {', '.join(missing)}; "
                            "it was not made by this service, or only in part")
    command.stamp(alembic_config(engine), BASELINE)
    return True


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None, bool]:
    """Bring the database to revision: (revision before, revision after, whether it was stamped first).

    An empty database is created; one made before migrations is stamped at the baseline first.
    """
    stamped = stamp_if_unversioned(engine)
    before = current(engine)
    command.upgrade(alembic_config(engine), revision)
    return before, current(engine), stamped


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to revision (what later revisions added is dropped)."""
    command.downgrade(alembic_config(engine), revision)


def history(engine: Engine, stdout: TextIO | None = None) -> None:
    """Print every revision, newest first, marking the database's own."""
    command.history(alembic_config(engine, stdout), indicate_current=True)
