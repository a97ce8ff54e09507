"""Alembic's environment: migrate the running app's database, with the models as the target.

The engine comes from the caller (`moderation.store.migrate` puts the app's in the config's
attributes), never from an ini file.
PostgreSQL migrates in one transaction (transactional DDL); so does SQLite, in batch mode
(tables are copied, not altered) with foreign keys off so that copying a table cascades
nothing, and checked afterwards.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from moderation.store.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    """The engine `moderation.store.migrate` handed in: the running app's (there is no alembic.ini)."""
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        raise RuntimeError("run migrations with `flask --app app db …` or `init-db`, which pass the app's engine")
    return engine


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Switch SQLite's foreign keys (only possible outside a transaction, so on the driver's connection)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (`--sql`)."""
    context.configure(url=_engine().url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations in one transaction on a connection of the app's engine."""
    with _engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, False)
        try:
            context.configure(connection=connection, target_metadata=target_metadata,
                              render_as_batch=True, transactional_ddl=True)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows that break a foreign key: {broken[:5]}")
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, True)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
