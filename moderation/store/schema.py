"""Writes the reviewed DDL in schema.sql from the models, for SQLite and PostgreSQL.

Run `python -m moderation.store.schema > schema.sql` after changing a model; a test fails
while the file and the models disagree, so the schema cannot drift unreviewed.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from moderation.store.models import Base

HEADER = """-- The database schema of the comment moderation service.
-- Generated from moderation/store/models.py by `python -m moderation.store.schema > schema.sql`;
-- `flask --app app init-db` creates it (and is safe to run again).
"""


def _statement(element: CreateTable | CreateIndex, dialect: Dialect) -> str:
    text = str(element.compile(dialect=dialect)).strip()
    return "\n".join(line.rstrip() for line in text.splitlines()) + ";"


def ddl(dialect_name: str) -> str:
    """The CREATE statements for every table and index, in dependency order."""
    dialect = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}[dialect_name]
    statements = []
    for table in Base.metadata.sorted_tables:
        statements.append(_statement(CreateTable(table), dialect))
        for index in sorted(table.indexes, key=lambda index: index.name or ""):
            statements.append(_statement(CreateIndex(index), dialect))
    return "\n\n".join(statements)


def schema_sql() -> str:
    """The whole text of schema.sql."""
    sections = [HEADER]
    for name, title in (("sqlite", "SQLite (the embedded default)"), ("postgresql", "PostgreSQL")):
        sections.append(f"-- ===== {title} =====\n\n{ddl(name)}\n")
    return "\n".join(sections)


if __name__ == "__main__":
    print(schema_sql(), end="")
