"""Request and response bodies of the channels API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from souk.channels.models import ChannelType
from souk.text import Text

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=CODE_PATTERN)]
CodePath = Annotated[str, Path(max_length=64, pattern=CODE_PATTERN)]
CurrencyCode = Annotated[
    str, Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$", examples=["EUR"])
]
LocaleTag = Annotated[
    str, Field(min_length=1, max_length=35, pattern=r"^[A-Za-z0-9_-]+$", examples=["fr-FR"])
]
CountryCode = Annotated[
    str, Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$", examples=["FR"])
]
LocationCodes = Annotated[list[Code], Field(max_length=500)]


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Text = Field(min_length=1, max_length=200)
    type: ChannelType
    default_currency: CurrencyCode
    currencies: list[CurrencyCode] = Field(min_length=1, max_length=50)
    default_locale: LocaleTag
    locales: list[LocaleTag] = Field(min_length=1, max_length=50)
    country: CountryCode
    prices_include_tax: StrictBool
    ship_from: LocationCodes = Field(
        default_factory=list, description="Location codes this channel ships from, preferred first"
    )
    pickup_at: LocationCodes = Field(
        default_factory=list, description="Location codes where its customers may collect"
    )


class ChannelUpdate(BaseModel):
    """Only the fields sent change; `code` never does."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    type: ChannelType | None = None
    default_currency: CurrencyCode | None = None
    currencies: list[CurrencyCode] | None = Field(default=None, min_length=1, max_length=50)
    default_locale: LocaleTag | None = None
    locales: list[LocaleTag] | None = Field(default=None, min_length=1, max_length=50)
    country: CountryCode | None = None
    prices_include_tax: StrictBool | None = None
    ship_from: LocationCodes | None = None
    pickup_at: LocationCodes | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> ChannelUpdate:
        # Absent means "leave as is"; an explicit null would erase a required field.
        nulls = [name for name in self.model_fields_set if getattr(self, name) is None]
        if nulls:
            raise ValueError(f"may not be null: {', '.join(sorted(nulls))}")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ChannelRead(BaseModel):
    code: str
    name: str
    type: ChannelType
    default_currency: str
    currencies: list[str]
    default_locale: str
    locales: list[str]
    country: str
    prices_include_tax: bool
    ship_from: list[str]
    pickup_at: list[str]
    created_at: datetime
    updated_at: datetime
