"""The CDP's routers: Segment tracking (ingest keys) and profiles, segments (admin)."""

from __future__ import annotations

from souk.cdp import ingest_api, profiles_api

tracking_router = ingest_api.router
profiles_router = profiles_api.router
