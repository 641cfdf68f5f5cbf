"""`souk analytics refresh` and `souk report` (the same services as the API). They import
the analytics store (DuckDB) when they run, not when `souk` starts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from souk.settings import get_settings

app = typer.Typer(help="Dashboards and reports (docs/insight.md).", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
DAY = ["%Y-%m-%d"]


@app.command("refresh")
def refresh_command(
    full: Annotated[bool, typer.Option("--full", help="Rebuild the store from scratch.")] = False,
) -> None:
    """Copy what changed in the primary database into the analytics store."""
    from souk.analytics.refresh import refresh
    from souk.db.engine import Database

    db = Database(get_settings())
    try:
        result = refresh(db=db, full=full)
    finally:
        db.dispose()
    copied = ", ".join(f"{k} {v}" for k, v in result.rows.items() if v)
    console.print(f"refreshed in {result.seconds:.2f} s ({copied or 'nothing new'})")


def report(
    start: Annotated[datetime, typer.Option("--from", formats=DAY, help="First day (UTC).")],
    end: Annotated[datetime, typer.Option("--to", formats=DAY, help="Last day, included.")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
    fresh: Annotated[
        bool, typer.Option("--refresh/--no-refresh", help="Refresh the store first.")
    ] = True,
) -> None:
    """Write an HTML report of a period, with charts, readable offline."""
    from souk.analytics import report as reports
    from souk.analytics.refresh import refresh
    from souk.db.engine import Database
    from souk.errors import SoukError

    settings = get_settings()
    if fresh:
        db = Database(settings)
        try:
            refresh(db=db)
        finally:
            db.dispose()
    try:
        page = reports.render(settings=settings, start=start.date(), end=end.date())
    except SoukError as exc:
        errors.print(f"[bold red]error:[/] {exc.detail}")
        raise typer.Exit(code=2) from exc
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    console.print(f"wrote {out} ({len(page):,} bytes)")
