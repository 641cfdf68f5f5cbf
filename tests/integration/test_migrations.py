"""The migrations build exactly the schema the code maps, on both back ends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from souk.db.engine import Database
from souk.db.migrate import head_revisions, is_up_to_date, migrate
from souk.db.tables_index import metadata


def test_migrated_schema_matches_the_tables(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, metadata())
    assert diff == []


def test_migrating_twice_is_a_no_op(db: Database) -> None:
    migrate(db)
    migrate(db)
    assert is_up_to_date(db)
    assert len(head_revisions()) == 1
