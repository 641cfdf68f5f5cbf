"""Response models of the recommendations."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RecommendedItem(BaseModel):
    sku: str
    score: float = Field(description="Higher is better; comparable within one answer only.")
    why: str


class RecommendationsRead(BaseModel):
    channel: str
    profile: str | None
    sku: str | None
    items: list[RecommendedItem]
