"""Helpers for migrations that change the schema without Django's table rebuilds."""

from __future__ import annotations

from django.db import migrations


def drop_indexes(indexes: list[tuple[str, str, str]]) -> migrations.RunSQL:
    """Drop indexes by name, given as (name, table, column); back again, each re-created on its
    column. For foreign keys whose own index goes (db_index=False): AlterField would rebuild the
    whole table on SQLite to drop it. Django names such an index alike on SQLite and PostgreSQL."""
    return migrations.RunSQL(
        [f'DROP INDEX IF EXISTS "{name}"' for name, _table, _column in indexes],
        [f'CREATE INDEX "{name}" ON "{table}" ("{column}")' for name, table, column in indexes],
    )
