"""Draft the Alembic operations for tables mapped in code but not yet migrated.

    .venv/bin/python tools/draft_migration.py

Migrates a scratch SQLite database to head, autogenerates a revision against the mapped
tables into a scratch folder and prints its upgrade/downgrade bodies, to paste (and review)
into the domain's migration file. Nothing in the repository is written.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from alembic import command

from souk.db.engine import Database
from souk.db.migrate import MIGRATIONS, alembic_config, migrate
from souk.settings import Settings


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        scripts = Path(scratch) / "migrations"
        shutil.copytree(MIGRATIONS, scripts)
        url = f"sqlite:///{scratch}/draft.sqlite3"
        db = Database(Settings(database_url=url))
        migrate(db)
        cfg = alembic_config(url)
        cfg.set_main_option("script_location", str(scripts))
        with db.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="draft", autogenerate=True, rev_id="draft")
        print((scripts / "versions" / "draft_draft.py").read_text())
        db.dispose()


if __name__ == "__main__":
    main()
