"""Request and response models of the jobs API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from souk.catalog.schemas import ProductCreate

JobIdPath = Annotated[str, Field(max_length=40, pattern=r"^job_[0-9a-f]+$")]


class JobRead(BaseModel):
    id: str
    kind: str = Field(description="`promotion.codes` or `catalog.import`")
    status: str = Field(description="queued → running → succeeded | failed")
    progress: int = Field(description="Items done so far (codes generated, products read)")
    total: int
    percent: int = Field(description="Whole percent done, rounded down")
    error: str | None = Field(default=None, description="Why a failed job stopped")
    result: dict[str, Any] | None = Field(
        default=None, description="What a finished job produced (counts, refused rows, links)"
    )
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class CodesJobCreate(BaseModel):
    """Bulk unique single-use codes, generated in the background: for more codes than
    `POST /v1/promotions/{id}/codes` makes in one request."""

    model_config = ConfigDict(extra="forbid")

    count: StrictInt = Field(ge=1, le=100_000)
    prefix: Annotated[str, Field(max_length=20, pattern=r"^[A-Za-z0-9-]*$")] | None = None
    usage_limit: StrictInt | None = Field(default=None, ge=1, le=10**9)


class CatalogImportCreate(BaseModel):
    """Products created one by one, each as `POST /v1/products` would: a refused product is
    listed in the job's result and does not stop the others."""

    model_config = ConfigDict(extra="forbid")

    products: list[ProductCreate] = Field(min_length=1, max_length=5_000)
