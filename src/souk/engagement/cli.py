"""`souk engagement …`: one round of the engagement loop by hand (cron, or a test)."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from souk.settings import get_settings

app = typer.Typer(help="Journeys and messages.", no_args_is_help=True)
console = Console()


@app.command("run")
def run() -> None:
    """Scan for abandoned carts and churn risk, then send every message that is due;
    prints what it did as JSON."""
    from souk.db.migrate import migrated
    from souk.engagement.worker import EngagementWorker

    settings = get_settings()
    db = migrated(settings)
    try:
        done = EngagementWorker(db, settings).run_once()
    finally:
        db.dispose()
    console.print_json(json.dumps(done))
