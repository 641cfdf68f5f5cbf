"""Configuration, read once from the environment (and `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite:///" + str(Path("var") / "souk.sqlite3")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOUK_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_SQLITE_URL
    bootstrap_admin_key: str | None = None
    nats_url: str | None = None
    auto_migrate: bool = True
    # Signs customer tokens. Unset, a random secret is generated and kept beside the
    # embedded database so that tokens survive a restart; production must set it.
    secret_key: str | None = None
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
    # Test each pooled connection with a round trip before use (survives a database
    # restart without a failed request, at one extra round trip per transaction).
    db_pre_ping: bool = True
    log_level: str = "INFO"
    # How long raw CDP events are kept (profiles keep what was learnt from them).
    events_retention_days: int = Field(default=395, gt=0)
    # How long an Idempotency-Key is remembered.
    idempotency_ttl_s: int = Field(default=24 * 3600, gt=0)
    # How long a process keeps refusing checkouts of a SKU it just found sold out (0: off).
    sold_out_cache_ms: int = Field(default=200, ge=0, le=10_000)
    # Starts the in-process outbox dispatcher; tests that drive it by hand switch it off.
    dispatcher_enabled: bool = True
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
