"""Alembic environment: `souk migrate` passes its connection in; plain `alembic` uses the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from souk.db import tables_index

config = context.config
target_metadata = tables_index.metadata()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
