"""The `souk` command: serve, migrate, manage keys and load demo data.

Commands call the same services as the API; no business rule lives here. Each command
imports what it uses when it runs: importing the whole platform takes seconds, which
`souk --help`, a cron job or the supervisor of `souk serve --workers N` (its workers import
the app, it never does) should not pay.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from souk.access.models import Role
from souk.analytics import cli as analytics_cli
from souk.engagement import cli as engagement_cli
from souk.forecasting.models import Frequency
from souk.inventory import cli as inventory_cli
from souk.settings import get_settings
from souk.staff import cli as staff_cli

if TYPE_CHECKING:
    from souk.db.engine import Database
    from souk.errors import SoukError

app = typer.Typer(
    help="Souk: one commerce platform behind every channel you sell through.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
demo_app = typer.Typer(help="A realistic demo business to explore Souk with.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(demo_app, name="demo")
app.add_typer(inventory_cli.app, name="inventory")
app.add_typer(staff_cli.app, name="staff")
app.add_typer(analytics_cli.app, name="analytics")
app.command("report")(analytics_cli.report)
recs_app = typer.Typer(help="Recommendations: bought/viewed together, personalised.",
                       no_args_is_help=True)  # fmt: skip
app.add_typer(recs_app, name="recs")
app.add_typer(engagement_cli.app, name="engagement")
console = Console()
errors = Console(stderr=True)


def _database() -> Database:
    from souk.db.engine import Database

    return Database(get_settings())


def _migrated() -> Database:
    from souk.db.migrate import migrated

    return migrated(get_settings())


def _fail(exc: SoukError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {exc.detail}")
    for item in exc.errors:
        errors.print(f"  - {item.get('field')}: {item.get('message')}")
    return typer.Exit(code=2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
) -> None:
    """Start the HTTP API (migrating the database first unless SOUK_AUTO_MIGRATE=0)."""
    import os

    import uvicorn

    settings = get_settings()
    if settings.auto_migrate:
        _migrated().dispose()
    # Migrations ran once, here, before any worker starts; the workers skip them.
    os.environ["SOUK_AUTO_MIGRATE"] = "0"
    get_settings.cache_clear()
    uvicorn.run(
        "souk.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_worker_healthcheck=settings.worker_healthcheck_timeout_s,
    )


@app.command()
def worker() -> None:
    """Run the background work without the HTTP API: the outbox dispatcher (event handlers,
    such as routing placed orders) or, with SOUK_NATS_URL, the JetStream relay and durable
    consumers; webhook deliveries; the reservation sweeper, the analytics refresh and the
    engagement sends; with SOUK_CDP_INGEST_ASYNC=1, the staged tracking calls. Lets API
    servers run with SOUK_DISPATCHER_ENABLED=0, SOUK_RESERVATION_SWEEP_INTERVAL_S=0 and
    SOUK_ANALYTICS_REFRESH_INTERVAL_S=0 (docs/deployment.md)."""
    import signal
    import threading

    from souk.analytics.refresh import AnalyticsRefresher
    from souk.cdp.inbox import IngestWorker
    from souk.db.outbox import EventBus
    from souk.engagement.worker import EngagementWorker
    from souk.inventory.sweeper import ReservationSweeper
    from souk.jobs.runner import JobRunner
    from souk.stream.runner import make_dispatcher
    from souk.webhooks.worker import DeliveryWorker
    from souk.wiring import wire

    settings = get_settings()
    db = _migrated() if settings.auto_migrate else _database()
    bus = EventBus()
    wire(bus, db)
    dispatcher = make_dispatcher(db, bus, settings)
    sweeper = ReservationSweeper(db, interval_s=settings.reservation_sweep_interval_s)
    analytics = AnalyticsRefresher(db, interval_s=settings.analytics_refresh_interval_s)
    webhook_worker = DeliveryWorker(db, settings)
    engagement = EngagementWorker(db, settings)
    jobs = JobRunner(db, poll_s=settings.jobs_poll_s)
    cdp_ingest = IngestWorker(db, poll_s=settings.cdp_ingest_poll_s)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    dispatcher.start()
    sweeper.start()
    analytics.start()
    webhook_worker.start()
    engagement.start()
    jobs.start()
    if settings.cdp_ingest_async:
        cdp_ingest.start()
    relay = "NATS relay and consumers" if settings.nats_url else "outbox dispatcher"
    console.print(
        f"[green]worker running[/] ({relay}, webhook deliveries, reservation sweeper, "
        "analytics refresh, engagement, background jobs)"
    )
    try:
        stop.wait()
    finally:
        cdp_ingest.stop()
        jobs.stop()
        engagement.stop()
        webhook_worker.stop()
        analytics.stop()
        sweeper.stop()
        dispatcher.stop()
        db.dispose()


@app.command("cdp-worker")
def cdp_worker() -> None:
    """Resolve the tracking calls the API servers staged (SOUK_CDP_INGEST_ASYNC=1) into
    profiles, and nothing else: the process to run at a lower priority than checkout
    (docs/customer-data.md, "Asynchronous ingestion"). `souk worker` does it too."""
    import gc
    import signal
    import threading

    from souk.cdp.inbox import IngestWorker

    settings = get_settings()
    db = _migrated() if settings.auto_migrate else _database()
    worker = IngestWorker(db, poll_s=settings.cdp_ingest_poll_s)
    # What start-up built (modules, mappers, metadata) lives as long as the process: frozen
    # out of the collector, whose full passes over it were a fifth of the worker's CPU on
    # chunks of thousands of messages. Garbage is collected first, so none is kept.
    gc.collect()
    gc.freeze()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    worker.start()
    console.print("[green]cdp ingestion worker running[/]")
    try:
        stop.wait()
    finally:
        worker.stop()
        db.dispose()


@app.command()
def migrate() -> None:
    """Apply pending database migrations (safe to run from several places at once)."""
    _migrated().dispose()
    console.print("[green]database is up to date[/]")


def _backup_key(required: bool) -> bytes | None:
    from souk.db import sealing
    from souk.errors import SoukError, ValidationFailed

    text = get_settings().backup_key
    if text is None:
        if required:
            raise _fail(
                ValidationFailed(
                    "A backup holds every customer's personal data: set SOUK_BACKUP_KEY to seal "
                    "it (make one with `souk backup-key`), or pass --unencrypted"
                )
            )
        return None
    try:
        return sealing.parse_key(text)
    except SoukError as exc:
        raise _fail(exc) from exc


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="File to write (replaced when complete).")],
    unencrypted: Annotated[
        bool, typer.Option("--unencrypted", help="Write it in clear, without SOUK_BACKUP_KEY.")
    ] = False,
) -> None:
    """Copy the running database to PATH, sealed with SOUK_BACKUP_KEY: SQLite through its
    online backup API, PostgreSQL with pg_dump (custom format). Safe while servers write."""
    from souk.audit.service import record_command
    from souk.db import backup as backups
    from souk.errors import SoukError

    key = None if unencrypted else _backup_key(required=True)
    db = _database()
    try:
        info = backups.backup(db=db, path=path, key=key)
    except SoukError as exc:
        raise _fail(exc) from exc
    else:
        # Logged after the copy, so the copy itself never holds its own entry.
        command = "souk backup" + ("" if info.sealed else " --unencrypted")
        record_command(db=db, command=command, resource_id=str(path.resolve()), status=0)
    finally:
        db.dispose()
    sealed = "sealed " if info.sealed else "[yellow]unencrypted[/] "
    console.print(
        f"[green]{info.backend} backup written[/] {sealed}to {info.path} ({info.bytes} bytes)"
    )


@app.command("backup-key")
def backup_key() -> None:
    """Print a new key for SOUK_BACKUP_KEY. Keep it apart from the backups: without it they
    cannot be restored."""
    from souk.db import sealing

    typer.echo(sealing.new_key())


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A file written by `souk backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the contents of a non-empty database.")
    ] = False,
) -> None:
    """Load a backup into the configured database (a fresh one, unless --force). Stop the
    servers first; run `souk migrate` after restoring an older backup. A sealed backup needs
    the SOUK_BACKUP_KEY it was made with."""
    from souk.audit.service import record_command
    from souk.db import backup as backups
    from souk.errors import SoukError

    key = _backup_key(required=False)
    db = _database()
    try:
        info = backups.restore(db=db, path=path, force=force, key=key)
    except SoukError as exc:
        raise _fail(exc) from exc
    else:
        # Into the restored database: its log then says where its contents came from.
        db.dispose()
        record_command(db=db, command="souk restore", resource_id=str(path.resolve()), status=0)
    finally:
        db.dispose()
    console.print(f"[green]{info.backend} database restored[/] from {info.path}")


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="admin, storefront, pos or ingest.")],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    channel: Annotated[
        str | None, typer.Option(help="Channel code (storefront, pos, ingest).")
    ] = None,
    location: Annotated[str | None, typer.Option(help="Store location code (pos).")] = None,
) -> None:
    """Create an API key and print its secret once."""
    from souk.access import service as access_service
    from souk.access.schemas import ApiKeyCreate
    from souk.audit.service import record_command
    from souk.db.uow import UnitOfWork
    from souk.errors import SoukError

    db = _migrated()
    try:
        created = access_service.create_key(
            uow=UnitOfWork(db),
            data=ApiKeyCreate(name=name, role=role, channel=channel, location=location),
        )
    except SoukError as exc:
        record_command(db=db, command="souk keys create", resource_id=None, status=2)
        raise _fail(exc) from exc
    else:
        record_command(db=db, command="souk keys create", resource_id=created.id, status=0)
    finally:
        db.dispose()
    console.print(f"[bold]{created.id}[/] ({created.role})")
    console.print(created.key, soft_wrap=True, highlight=False)
    errors.print("[yellow]Store the key now: only its hash is kept.[/]")


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (never their secrets)."""
    from rich.table import Table

    from souk.access import service as access_service
    from souk.db.uow import UnitOfWork

    db = _database()
    keys = access_service.list_keys(uow=UnitOfWork(db, write=False))
    db.dispose()
    table = Table("id", "name", "role", "channel", "location", "ends with", "revoked")
    for key in keys:
        table.add_row(
            key.id,
            key.name,
            key.role.value,
            key.channel or "",
            key.location or "",
            key.hint,
            str(key.revoked_at or ""),
        )
    console.print(table)


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if the database already has a catalog.")
    ] = False,
    products: Annotated[int, typer.Option(help="How many products.", min=1)] = 600,
    seed: Annotated[int, typer.Option(help="Random seed, for a reproducible business.")] = 7,
) -> None:
    """Fill the database with a believable demo business."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from souk.demo import loader
    from souk.errors import SoukError

    db = _migrated()
    try:
        if if_empty and not loader.is_empty(db):
            console.print("demo data already loaded")
            return
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            summary = loader.load(db, products=products, seed=seed, progress=progress)
    except SoukError as exc:
        raise _fail(exc) from exc
    finally:
        db.dispose()
    for line in summary:
        console.print(line)


@app.command()
def forecast(
    frequency: Annotated[
        Frequency | None, typer.Option(help="week or day (default: SOUK_FORECAST_FREQUENCY).")
    ] = None,
    effects: Annotated[
        bool, typer.Option(help="Promotions and holidays as effects where the data allows.")
    ] = True,
    promotion: Annotated[
        list[str] | None,
        typer.Option(help="Only this promotion counts as an effect (repeatable; default: all)."),
    ] = None,
) -> None:
    """Forecast demand per SKU and location from every channel's sales, store the forecasts
    and the redistribution proposals built on them (docs/forecasting.md)."""
    from souk.errors import SoukError
    from souk.forecasting.runs import run_forecasts

    db = _migrated()
    try:
        run = run_forecasts(db=db, frequency=frequency, effects=effects, promotions=promotion)
    except SoukError as exc:
        raise _fail(exc) from exc
    finally:
        db.dispose()
    mase = "n/a" if run.accuracy.mase is None else f"{run.accuracy.mase:.3f}"
    rmsse = "n/a" if run.accuracy.rmsse is None else f"{run.accuracy.rmsse:.3f}"
    console.print(
        f"[green]{run.series} {run.frequency.adjective} series forecast[/] in {run.seconds:.1f} s "
        f"(run {run.id}; backtest MASE {mase}, RMSSE {rmsse}; {run.with_effects} with effects); "
        f"{run.proposals} transfer proposals"
    )


@recs_app.command("refresh")
def recs_refresh() -> None:
    """Add the orders and product views since the last refresh to the pair counts, and
    retrain the personalised lists (docs/forecasting.md)."""
    from souk.recommendations.refresh import refresh as refresh_recommendations

    db = _migrated()
    try:
        done = refresh_recommendations(db=db)
    finally:
        db.dispose()
    console.print(
        f"[green]recommendations refreshed[/] in {done.seconds:.1f} s: {done.baskets} new orders, "
        f"{done.views} new views, {done.profiles} personalised lists"
    )
