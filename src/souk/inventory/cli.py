"""`souk inventory …`: housekeeping commands (the same services as the API)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from souk.settings import get_settings

app = typer.Typer(help="Inventory housekeeping.", no_args_is_help=True)
console = Console()


@app.command("sweep")
def sweep(
    batch: Annotated[int, typer.Option(help="Reservations per transaction.", min=1)] = 500,
) -> None:
    """Mark expired reservations and free their lines. Only tidies: expired reservations
    never count anyway, so this can run whenever (cron) or never."""
    from souk.db.migrate import migrated
    from souk.db.uow import UnitOfWork
    from souk.inventory.reservation_service import sweep_expired

    db = migrated(get_settings())
    total = 0
    try:
        while True:
            swept = sweep_expired(uow=UnitOfWork(db), limit=batch)
            total += swept
            if swept < batch:
                break
    finally:
        db.dispose()
    console.print(f"swept {total} expired reservations")
