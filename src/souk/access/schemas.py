from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from souk.access.models import Role

Code = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Role
    channel: str | None = Field(default=None, min_length=1, max_length=64)
    location: str | None = Field(default=None, min_length=1, max_length=64)


class ApiKeyRead(BaseModel):
    id: str
    name: str
    role: Role
    hint: str
    channel: str | None
    location: str | None
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret, shown once; only its hash is stored.")
