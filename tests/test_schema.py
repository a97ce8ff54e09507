"""schema.sql and the models never drift, and init-db is safe to run again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect

from moderation.store.database import create_schema
from moderation.store.schema import ddl, schema_sql

SCHEMA = Path(__file__).parent.parent / "schema.sql"


def test_schema_sql_is_what_the_models_generate() -> None:
    assert SCHEMA.read_text() == schema_sql(), "run: python -m moderation.store.schema > schema.sql"


def describe(url: str) -> dict[str, list[tuple[str, str, bool]]]:
    """Every table's columns (name, type, nullable) and index names, as the database reports them."""
    engine = create_engine(url)
    inspector = inspect(engine)
    tables = {}
    for table in set(inspector.get_table_names()) - {"alembic_version"}:  # create_schema stamps its revision
        columns = [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)]
        indexes = sorted(i["name"] for i in inspector.get_indexes(table))
        tables[table] = columns + [(name, "index", True) for name in indexes]
    engine.dispose()
    return tables


def test_schema_sql_builds_the_same_database_as_the_models(tmp_path: Path) -> None:
    from_file = tmp_path / "from_file.sqlite3"
    engine = create_engine(f"sqlite:///{from_file}")
    with engine.begin() as connection:
        for statement in ddl("sqlite").split(";\n"):
            connection.exec_driver_sql(statement.strip().rstrip(";"))
    engine.dispose()
    from_models = tmp_path / "from_models.sqlite3"
    engine = create_engine(f"sqlite:///{from_models}")
    create_schema(engine)
    engine.dispose()
    assert describe(f"sqlite:///{from_file}") == describe(f"sqlite:///{from_models}")


def test_init_db_is_safe_to_run_again(runner, client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/articles/1/comments", json={
        "name": "Ann", "email": "ann@example.org", "body": "kept"}).status_code == 202
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "Database ready" in result.output
    page = client.get("/api/v1/moderation/queue")  # needs a token: 401 proves the app still answers
    assert page.status_code == 401
