"""Request and response shapes of the profile, consent and segment API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from souk.orders.schemas import OrderRead

IdentityType = Literal[
    "user_id", "email", "phone", "loyalty_card", "pos_customer_id", "anonymous_id", "device_id"
]
Purpose = Literal["marketing", "analytics", "personalisation"]
ConsentChannel = Literal["email", "sms", "push", "any"]


class IdentityRead(BaseModel):
    type: str
    value: str
    source: str
    added_at: datetime


class ConsentRead(BaseModel):
    purpose: str
    channel: str
    granted: bool
    source: str
    recorded_at: datetime


class ConsentUpdate(BaseModel):
    purpose: Purpose
    channel: ConsentChannel
    granted: bool
    source: str = Field(min_length=1, max_length=100)


class ProfileEventRead(BaseModel):
    message_id: str
    type: str
    event: str | None
    source: str
    timestamp: datetime
    properties: dict[str, Any]


class ProfileRead(BaseModel):
    id: str
    identities: list[IdentityRead]
    traits: dict[str, Any]
    computed: dict[str, Any]
    consents: list[ConsentRead]
    consent_history: list[ConsentRead]
    segments: list[str]
    orders: list[OrderRead]
    events: list[ProfileEventRead]
    last_seen: datetime | None
    created_at: datetime


class MergeRead(BaseModel):
    into: str
    merged: str
    reason: str
    identity: dict[str, str]
    message_id: str | None
    at: datetime
    undone_at: datetime | None


class MergesRead(BaseModel):
    profile: str
    merges: list[MergeRead]


class IdentityRef(BaseModel):
    type: IdentityType
    value: str = Field(min_length=1, max_length=320)


class UnmergeRequest(BaseModel):
    identity: IdentityRef


class UnmergeResult(BaseModel):
    profile: ProfileRead
    restored: ProfileRead


class SegmentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    rule: dict[str, Any]


class SegmentRead(BaseModel):
    id: str
    name: str
    rule: dict[str, Any]
    members: int
    created_at: datetime


class SegmentMemberRead(BaseModel):
    profile: str
    since: datetime


class PrivacyRequest(BaseModel):
    type: Literal["export", "erase"]
    email: str | None = Field(default=None, min_length=3, max_length=320)
    profile: str | None = Field(default=None, min_length=1, max_length=40)


class PrivacyResult(BaseModel):
    type: str
    profile: str | None
    data: dict[str, Any] | None = None
    erased: dict[str, int] | None = None
    at: str | None = None
