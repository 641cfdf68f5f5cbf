"""Configuration, read once from the environment (and `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

RULE = r"^[1-9][0-9]*/[1-9][0-9]*$"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_SQLITE_URL = "sqlite:///" + str(Path("var") / "souk.sqlite3")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOUK_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_SQLITE_URL
    # A PostgreSQL streaming replica for reads that may be slightly stale (catalog pages,
    # availability), used only while it is within replica_max_lag_ms of the primary.
    database_replica_url: str | None = None
    replica_max_lag_ms: int = Field(default=1000, gt=0, le=60_000)
    bootstrap_admin_key: str | None = None
    nats_url: str | None = None
    auto_migrate: bool = True
    # Signs customer tokens. Unset, a random secret is generated and kept beside the
    # embedded database so that tokens survive a restart; production must set it.
    secret_key: str | None = None
    # Seals `souk backup` files (AES-256-GCM; `souk backup-key` makes one). Unset, `souk
    # backup` refuses unless told --unencrypted: a backup holds every customer's data.
    backup_key: str | None = Field(default=None, repr=False)
    customer_token_ttl_s: int = Field(default=7 * 24 * 3600, gt=0)
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    # Requests one worker process runs at once in its thread pool; each holds at most one
    # database connection at a time. More threads than this only contend for the GIL.
    worker_threads: int = Field(default=16, gt=0, le=1000)
    # Connections kept open per worker process: the request threads, the outbox dispatcher
    # and the idempotency store's own short transactions. Connections beyond the pool
    # (overflow) are opened and closed per use, which costs far more than the query.
    db_pool_size: int = Field(default=20, gt=0)
    db_max_overflow: int = Field(default=10, ge=0)
    # Test a pooled connection with a round trip before use (survives a database restart
    # without a failed request) when it sat unused for longer than `db_pre_ping_idle_ms`;
    # 0 tests it before every transaction, at one round trip each (souk.db.engine).
    db_pre_ping: bool = True
    db_pre_ping_idle_ms: int = Field(default=1000, ge=0, le=3_600_000)
    # Fail fast when the database is down or slow instead of holding the request: a new
    # connection gives up after this, a request waits this long for a pooled connection.
    db_connect_timeout_s: int = Field(default=5, gt=0, le=300)
    db_pool_timeout_s: float = Field(default=10.0, gt=0, le=300)
    # A statement running longer is cancelled and the request answers 503 (0: no limit).
    # On SQLite it also caps the wait for the write lock.
    db_statement_timeout_ms: int = Field(default=0, ge=0)
    log_level: str = "INFO"
    # How long uvicorn's supervisor waits for a worker process to answer its health ping
    # before killing it as hung. Its default (5 s) killed workers still importing on a loaded
    # host, over and over, so a server with --workers 2 never became ready.
    worker_healthcheck_timeout_s: int = Field(default=60, gt=0, le=3600)
    # How long raw CDP events are kept (profiles keep what was learnt from them).
    events_retention_days: int = Field(default=395, gt=0)
    # Tracking calls (`/v1/batch` ...) are committed as received and answered, and resolved
    # into profiles by `souk cdp-worker` / `souk worker` (docs/customer-data.md); off, each
    # call is resolved before its answer. On, a worker must run.
    cdp_ingest_async: bool = False
    # How often a CDP ingestion worker without a backlog looks for staged calls: the floor
    # of freshness, and what lets a steady stream gather into chunks (inbox.IngestWorker).
    cdp_ingest_poll_s: float = Field(default=0.2, gt=0, le=60)
    # Backpressure: while the oldest staged call has waited longer than this for the worker,
    # a new call waits up to cdp_ingest_max_wait_s before it is staged (never refused), so
    # that senders slow to the worker's pace and freshness stays bounded (0: no bound).
    cdp_ingest_max_lag_s: float = Field(default=1.0, ge=0, le=60)
    cdp_ingest_max_wait_s: float = Field(default=5.0, ge=0, le=60)
    # How long an Idempotency-Key is remembered.
    idempotency_ttl_s: int = Field(default=24 * 3600, gt=0)
    # How long a claimed key stays locked for retries without its owner renewing it (every
    # third of it while the request runs): after that, a claim with no committed outcome is
    # taken to be a dead process's and a retry runs the request again.
    idempotency_lease_s: float = Field(default=10.0, gt=0, le=3600)
    # Tests only: kill the process at this point (souk/fault_points.py). Never set in production.
    fault_point: Literal["after_commit", "before_answer", "relay_mid_batch"] | None = None
    # How long a process keeps refusing checkouts of a SKU it just found sold out (0: off).
    sold_out_cache_ms: int = Field(default=200, ge=0, le=10_000)
    # How long a process may show promotions as it last read them (docs/promotions.md).
    promotions_cache_ms: int = Field(default=2000, ge=0, le=3_600_000)
    # How long a process may use channels, tax rates and shipping rates as it last read them
    # (souk/db/reference.py); a process forgets them at once when it changes them.
    reference_cache_ms: int = Field(default=2000, ge=0, le=3_600_000)
    # How long a process trusts an API key it has checked: a revoked key stops working
    # within this long in every process.
    api_key_cache_s: float = Field(default=5.0, ge=0, le=300)
    # How long a storefront catalog page may be served from a process's memory (0: off).
    # Catalog, price and channel changes clear it at once in the process that made them;
    # stock, and changes made by another process, show after at most this long.
    storefront_cache_ttl_s: float = Field(default=2.0, ge=0, le=60)
    # Starts the in-process outbox dispatcher; tests that drive it by hand switch it off.
    dispatcher_enabled: bool = True
    # Marks expired reservations and frees their lines every so often, so that the raw
    # reserved counters do not drift after crashed checkouts (0: off; `souk inventory sweep`
    # does the same by hand).
    reservation_sweep_interval_s: float = Field(default=60.0, ge=0)
    # Background jobs (docs/console.md, "Long operations"): how often a server's job runner
    # looks for jobs enqueued elsewhere or left by a crash (0: this server runs none).
    jobs_poll_s: float = Field(default=2.0, ge=0, le=3600)
    # Routing (docs/fulfilment.md): cost weights in cost units (think minor units), the
    # solver's time limit, handling cost per location type, categories stores do not ship.
    routing_package_cost: float = Field(default=450.0, ge=0)
    routing_cost_per_km: float = Field(default=0.6, ge=0)
    routing_unit_cost_per_km: float = Field(default=0.05, ge=0)
    routing_split_penalty: float = Field(default=300.0, ge=0)
    routing_cross_border_cost: float = Field(default=900.0, ge=0)
    routing_handling_cost_warehouse: float = Field(default=150.0, ge=0)
    routing_handling_cost_store: float = Field(default=350.0, ge=0)
    routing_handling_cost_dropship: float = Field(default=250.0, ge=0)
    routing_store_excluded_categories: list[str] = []
    routing_time_limit_s: float = Field(default=1.0, gt=0)
    # Endless aisle: a transfer's estimated lead time (base + per 100 km between locations).
    routing_transfer_base_hours: float = Field(default=24.0, ge=0)
    routing_transfer_hours_per_100km: float = Field(default=4.0, ge=0)
    # Returns (docs/returns.md): the window from the order's placement, items never taken back.
    returns_window_days: int = Field(default=30, ge=0)
    returns_non_returnable_categories: list[str] = []
    returns_non_returnable_skus: list[str] = []
    # Carrier tracking webhooks: {"carrier": "secret"} for HMAC-signed deliveries.
    carrier_webhook_secrets: dict[str, str] = {}
    # Shared state of every worker (rate-limit counters); unset: kept in each process.
    redis_url: str | None = None
    # Prefix of every Redis key Souk writes (several installations may share one Redis).
    redis_prefix: str = Field(default="souk:", max_length=100)
    # Rate limits (docs/security.md), each COUNT/SECONDS. Generous: they stop floods and
    # guessing, not shoppers. Requests from the exempt networks (the loopback by default,
    # where the benchmarks run) are not counted; the exemption is logged at start. Behind a
    # reverse proxy, run uvicorn with the proxy's address in --forwarded-allow-ips so that
    # clients are told apart, else they all look like the proxy.
    rate_limit_enabled: bool = True
    rate_limit_exempt: list[str] = ["127.0.0.1/32", "::1/128"]
    rate_limit_per_ip: str = Field(default="1200/60", pattern=RULE)
    rate_limit_per_credential: str = Field(default="3000/60", pattern=RULE)
    rate_limit_carts: str = Field(default="60/60", pattern=RULE)
    rate_limit_register: str = Field(default="20/3600", pattern=RULE)
    rate_limit_signin_ip: str = Field(default="50/900", pattern=RULE)
    signin_free_failures: int = Field(default=5, ge=1, le=1000)
    signin_max_delay_s: int = Field(default=300, ge=1, le=86_400)
    # The admin console (docs/console.md): a staff session ends this long after sign-in.
    console_session_ttl_s: int = Field(default=8 * 3600, gt=0, le=30 * 86_400)
    # Analytics (docs/insight.md): the DuckDB file (unset: beside the SQLite file, or under
    # var/ for PostgreSQL), how often servers and the worker refresh it (0: only on demand),
    # and how far back each refresh re-reads to catch transactions that committed late.
    analytics_path: str | None = None
    analytics_refresh_interval_s: float = Field(default=60.0, ge=0)
    analytics_overlap_s: int = Field(default=300, ge=0, le=86_400)
    # Webhooks (docs/webhooks.md). Loopback and private addresses are refused unless this is
    # set (server-side request forgery); tests and local development set it.
    webhook_allow_private: bool = False
    # Seconds between a failed attempt and the next (the Standard Webhooks schedule).
    webhook_retry_schedule_s: list[float] = [5, 300, 1800, 7200, 18000, 36000, 36000]
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # Deliveries sent at once by one process, and claimed per round.
    webhook_concurrency: int = Field(default=8, ge=1, le=256)
    webhook_batch_size: int = Field(default=100, ge=1, le=10_000)
    # How long the old secret keeps signing after a rotation.
    webhook_secret_overlap_s: int = Field(default=24 * 3600, ge=0)
    # How long a process may match events against endpoints as it last read them.
    webhook_endpoints_cache_ms: int = Field(default=2000, ge=0, le=3_600_000)
    # The event stream (docs/operations.md): the JetStream stream and its subject prefix.
    nats_stream: str = Field(default="SOUK_EVENTS", pattern=r"^[A-Za-z0-9_-]+$")
    nats_subject_prefix: str = Field(default="souk.events", pattern=r"^[a-z0-9_.-]+$")
    # How long the broker remembers a message id to drop a re-published duplicate.
    nats_duplicate_window_s: int = Field(default=3600, gt=0)
    # Pages, feeds, messages and webhooks (docs/pages.md, docs/feeds.md, docs/engagement.md,
    # docs/webhooks.md). The one address shoppers and integrators reach Souk at, for the
    # links in feeds (unset: the address the request came to), in messages and account mail,
    # and webhook payloads' fetch URLs (unset: `public_address`'s default).
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    # The channel of the demo storefront at /shop (unset: the first web channel) and its
    # publishable key (unset: one derived from the secret key, registered on first use).
    shop_channel: str | None = None
    shop_publishable_key: str | None = None
    # The brand a feed names for products whose attributes do not carry one.
    feed_brand: str = Field(default="Souk", min_length=1, max_length=70)

    # Demand forecasting and replenishment (docs/forecasting.md).
    forecast_frequency: Literal["week", "day"] = "week"
    forecast_horizon: int = Field(default=12, ge=1, le=366)
    forecast_level: int = Field(default=80, ge=50, le=99)
    forecast_backtest_windows: int = Field(default=3, ge=0, le=52)
    replenishment_lead_time_days: float = Field(default=7, gt=0, le=365)
    replenishment_review_days: float = Field(default=7, gt=0, le=365)
    replenishment_service_level: float = Field(default=0.95, gt=0.5, lt=1)
    # Recommendations (docs/forecasting.md): ALS factors and list length per profile.
    recs_factors: int = Field(default=32, ge=2, le=512)
    recs_per_profile: int = Field(default=50, ge=1, le=500)

    # Engagement (docs/engagement.md): email over SMTP (smtp://host:port, smtps://…) and the
    # rules every message obeys; links in messages point at `public_url` (unset: the
    # address `souk serve` listens on by default).
    smtp_url: str | None = None
    smtp_from: str = "Souk <noreply@souk.invalid>"
    # How long the link that confirms a registration works (docs/security.md).
    registration_link_ttl_s: int = Field(default=24 * 3600, gt=0, le=30 * 86_400)
    # How often the worker scans for abandoned carts and churn risk and sends what is due
    # (0: off; `souk engagement run` does one round by hand).
    engagement_interval_s: float = Field(default=30.0, ge=0)
    engagement_cart_idle_s: int = Field(default=3600, ge=0)
    engagement_max_per_day: int = Field(default=3, ge=1, le=1000)
    engagement_quiet_hours: str = Field(default="21:00-08:00", pattern=r"^\d\d:\d\d-\d\d:\d\d$")
    engagement_default_timezone: str = "UTC"
    engagement_default_locale: str = "en"
    engagement_churn_threshold: float = Field(default=0.7, gt=0, le=1)
    engagement_max_attempts: int = Field(default=5, ge=1, le=100)
    # Fraud screening (docs/risk.md): scores at or above review hold an order for review,
    # at or above reject too (ranked first); reviews move the weights by the learning rate.
    risk_screening: bool = True
    risk_review_threshold: int = Field(default=50, ge=1, le=100)
    risk_reject_threshold: int = Field(default=80, ge=1, le=100)
    # Minor units per currency (no conversion between currencies is assumed); an order in
    # a currency not listed is never "high value".
    risk_high_value: dict[str, int] = Field(
        default={"EUR": 50_000, "USD": 50_000, "GBP": 50_000, "CHF": 50_000, "JPY": 80_000}
    )
    risk_new_account_days: int = Field(default=7, ge=0, le=3650)
    risk_learning_rate: float = Field(default=0.1, gt=0, lt=1)
    # The header the CDN or load balancer in front of Souk sets to the client IP's country
    # (Cloudflare's CF-IPCountry); no GeoIP database ships with Souk.
    risk_ip_country_header: str = "cf-ipcountry"

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _strong_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("SOUK_BOOTSTRAP_ADMIN_KEY must be at least 16 characters")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_strong_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError("SOUK_SECRET_KEY must be at least 32 characters")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def public_address(self) -> str:
        """`public_url` without a trailing slash, or where `souk serve` listens by default."""
        return (self.public_url or DEFAULT_PUBLIC_URL).rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
