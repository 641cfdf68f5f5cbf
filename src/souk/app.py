"""The FastAPI application factory: routers, error mapping, middleware — nothing else."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from souk import __version__
from souk.access import api as access_api
from souk.access import service as access_service
from souk.analytics import api as analytics_api
from souk.analytics.refresh import AnalyticsRefresher
from souk.api import health, replays
from souk.api.audit import AuditMiddleware
from souk.api.auth import KeyCache
from souk.api.idempotency import IdempotencyMiddleware, IdempotencyStore
from souk.api.links import add_links
from souk.api.middleware import (
    BodyLimitMiddleware,
    JsonDepthMiddleware,
    RequestIdFilter,
    RequestIdMiddleware,
)
from souk.api.problems import install as install_problems
from souk.api.problems import problems_as_problem_json
from souk.api.ratelimit import RateLimitMiddleware, Rule, limits_from, make_store
from souk.audit import api as audit_api
from souk.carts import api as carts_api
from souk.catalog import api as catalog_api
from souk.cdp import api as cdp_api
from souk.channels import api as channels_api
from souk.customers import api as customers_api
from souk.customers.lockout import SignInGuard
from souk.customers.mail import AccountMail
from souk.customers.tokens import TokenSigner, resolve_secret
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.db.outbox import EventBus
from souk.db.uow import UnitOfWork
from souk.engagement import api as engagement_api
from souk.engagement import tracking_api as engagement_links_api
from souk.engagement.worker import EngagementWorker
from souk.feeds import api as feeds_api
from souk.forecasting import api as forecasting_api
from souk.fulfilment import api as fulfilment_api
from souk.giftcards import api as giftcards_api
from souk.inventory import api as inventory_api
from souk.inventory import api_availability as availability_api
from souk.inventory import api_locations as locations_api
from souk.inventory.sweeper import ReservationSweeper
from souk.jobs import api as jobs_api
from souk.jobs.runner import JobRunner
from souk.loyalty import api as loyalty_api
from souk.orders import api as orders_api
from souk.pages.console import routes as console_pages
from souk.pages.shop import routes as shop_pages
from souk.pages.till import routes as till_pages
from souk.pos import api as pos_api
from souk.pos import staff_api as pos_staff_api
from souk.pos import till_api
from souk.pricing import api as pricing_api
from souk.promotions import api as promotions_api
from souk.recommendations import api as recommendations_api
from souk.returns import api as returns_api
from souk.risk import api as risk_api
from souk.settings import Settings, get_settings
from souk.shipping import api as shipping_api
from souk.storefront import api as storefront_api
from souk.storefront.cache import PageCache
from souk.stream.runner import make_dispatcher
from souk.webhooks import api as webhooks_api
from souk.webhooks.worker import DeliveryWorker
from souk.wiring import wire

log = logging.getLogger(__name__)

# FastAPI tries the routes in this order, about 5 µs each on this machine: the shopper's
# path (carts and checkout, catalog pages, availability, reservations) comes first, so a
# storefront request is matched after a dozen routes rather than sixty; then the tracking
# calls, the most frequent requests of all (a page view each), which were matched after
# 120 routes (0.6 ms of a staged call's 2.3). No route of a later router is shadowed by an
# earlier one (tests/api/test_routes.py checks it).
ROUTERS = [
    health.router,
    carts_api.router,
    storefront_api.router,
    availability_api.router,
    inventory_api.router,
    cdp_api.tracking_router,
    access_api.router,
    channels_api.router,
    catalog_api.router,
    pricing_api.router,
    locations_api.router,
    customers_api.router,
    shipping_api.router,
    orders_api.router,
    fulfilment_api.router,
    returns_api.router,
    pos_api.router,
    promotions_api.router,
    giftcards_api.router,
    loyalty_api.router,
    audit_api.router,
    cdp_api.profiles_router,
    *console_pages.routers,
    analytics_api.router,
    webhooks_api.router,
    feeds_api.router,
    till_api.router,
    pos_staff_api.router,
    forecasting_api.router,
    recommendations_api.router,
    engagement_api.router,
    engagement_links_api.router,
    risk_api.router,
    jobs_api.router,
]

# Pages served beside the API (their own files, their own policy: docs/pages.md).
PAGES = [
    till_pages.mount,
    *shop_pages.routes,
]


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RequestIdFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.addFilter(RequestIdFilter())
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
        root.addHandler(handler)
    root.setLevel(level.upper())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = Database(settings)
    bus = EventBus()
    wire(bus, db)
    dispatcher = make_dispatcher(db, bus, settings)
    sweeper = ReservationSweeper(db, interval_s=settings.reservation_sweep_interval_s)
    analytics = AnalyticsRefresher(db, interval_s=settings.analytics_refresh_interval_s)
    webhook_worker = DeliveryWorker(db, settings)
    engagement = EngagementWorker(db, settings)
    job_runner = JobRunner(db, poll_s=settings.jobs_poll_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Request threads never outnumber pooled connections (see Settings.worker_threads).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        if settings.auto_migrate:
            migrate(db)
        if settings.bootstrap_admin_key:
            access_service.ensure_bootstrap_admin(
                uow=UnitOfWork(db), secret=settings.bootstrap_admin_key
            )
        if settings.dispatcher_enabled:
            dispatcher.start()
            webhook_worker.start()
            # The server that handles events also sends what they queue.
            engagement.start()
        sweeper.start()
        analytics.start()
        job_runner.start()
        try:
            yield
        finally:
            job_runner.stop()
            analytics.stop()
            engagement.stop()
            sweeper.stop()
            dispatcher.stop()
            webhook_worker.stop()
            db.dispose()

    app = FastAPIOffline(
        title="Souk",
        version=__version__,
        summary="Unified commerce: one catalog, inventory, cart, order system and customer "
        "behind every channel.",
        lifespan=lifespan,
        favicon_url="data:,",
    )
    app.state.settings = settings
    app.state.db = db
    app.state.bus = bus
    app.state.dispatcher = dispatcher
    app.state.dispatcher_wake = dispatcher.wake
    app.state.sweeper = sweeper
    app.state.webhook_worker = webhook_worker
    app.state.engagement = engagement
    app.state.job_runner = job_runner
    app.state.key_cache = KeyCache(settings.api_key_cache_s)
    app.state.token_signer = TokenSigner(resolve_secret(settings), settings.customer_token_ttl_s)
    app.state.account_mail = AccountMail.from_settings(settings)
    app.state.idempotency = IdempotencyStore(
        db, ttl_s=settings.idempotency_ttl_s, lease_s=settings.idempotency_lease_s
    )
    app.state.storefront_cache = PageCache(settings.storefront_cache_ttl_s)
    app.state.storefront_cache.watch(db.sessions)
    limits = limits_from(settings)
    rate_store = make_store(settings)
    app.state.rate_store = rate_store
    app.state.signin_guard = None
    if settings.rate_limit_enabled:
        app.state.signin_guard = SignInGuard(
            store=rate_store,
            per_ip=Rule.parse(settings.rate_limit_signin_ip),
            free_failures=settings.signin_free_failures,
            max_delay_s=settings.signin_max_delay_s,
            limits=limits,
        )
        log.info(
            "rate limits on (%s store); not counted from %s (SOUK_RATE_LIMIT_EXEMPT)",
            "Redis" if settings.redis_url else "in-process",
            ", ".join(settings.rate_limit_exempt) or "nowhere",
        )
    else:
        log.warning("rate limits and sign-in lockout are off (SOUK_RATE_LIMIT_ENABLED=0)")

    install_problems(app)
    # The routers' own routes, not `include_router`: FastAPI (0.165) builds an included
    # route's dependencies and body and response fields again for every app, lazily, on the
    # first request that walks past it — up to half a second for the first requests after a
    # start (and for every test's app). A router's route already carries its prefix, tags
    # and responses, and its fields were built once, when its module was imported.
    for router in ROUTERS:
        app.router.routes.extend(router.routes)
    app.router.routes.extend(PAGES)

    # Outermost last: request id → rate limits → size limit → nesting limit → audit →
    # idempotency → the app.
    app.add_middleware(
        IdempotencyMiddleware,
        store_getter=lambda: app.state.idempotency,
        signer_getter=lambda: app.state.token_signer,
        rule_for=replays.rule_for,
        fault_point=settings.fault_point,
    )
    app.add_middleware(AuditMiddleware, db=db)
    app.add_middleware(JsonDepthMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.rate_limit_enabled:
        app.add_middleware(RateLimitMiddleware, store=rate_store, limits=limits)
    app.add_middleware(RequestIdMiddleware)

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(problems_as_problem_json(default_openapi()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def create_app_from_env() -> FastAPI:
    """Entry point for uvicorn's `--factory` (used by `souk serve`)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
