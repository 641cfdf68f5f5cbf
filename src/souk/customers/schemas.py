"""Request and response bodies of the customers API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from souk.customers.models import EMAIL_PATTERN, is_country, is_locale, normalize_email


def _locale(value: str | None) -> str | None:
    if value is not None and not is_locale(value):
        raise ValueError(f"unknown locale {value!r}")
    return value


def _country(value: str) -> str:
    if not is_country(value):
        raise ValueError(f"not an ISO 3166-1 alpha-2 country code: {value!r}")
    return value


Email = Annotated[
    str,
    Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN),
    AfterValidator(normalize_email),
]
LocaleTag = Annotated[str | None, Field(default=None, max_length=35), AfterValidator(_locale)]
Country = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_country)]
Password = Annotated[str, Field(min_length=8, max_length=256)]
# Free text that is stored: no control characters (PostgreSQL refuses NUL in text; names and
# address lines have no use for the others).
PLAIN = r"^[^\x00-\x1f\x7f]*$"
# Server ids and codes given in paths or bodies to look something up.
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
IdPath = Annotated[str, Path(max_length=64, pattern=ID_PATTERN)]
LoyaltyCard = Annotated[str, Field(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


class PostalAddress(BaseModel):
    """An address to deliver to; shared by customers' address books, carts and orders."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, pattern=PLAIN)
    line1: str = Field(min_length=1, max_length=200, pattern=PLAIN)
    line2: str | None = Field(default=None, max_length=200, pattern=PLAIN)
    city: str = Field(min_length=1, max_length=100, pattern=PLAIN)
    postal_code: str | None = Field(default=None, max_length=20, pattern=PLAIN)
    region: str | None = Field(default=None, max_length=10, pattern=PLAIN)
    country: Country
    phone: str | None = Field(default=None, max_length=32, pattern=PLAIN)


class AddressCreate(PostalAddress):
    default: bool = False


class AddressUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, pattern=PLAIN)
    line1: str | None = Field(default=None, min_length=1, max_length=200, pattern=PLAIN)
    line2: str | None = Field(default=None, max_length=200, pattern=PLAIN)
    city: str | None = Field(default=None, min_length=1, max_length=100, pattern=PLAIN)
    postal_code: str | None = Field(default=None, max_length=20, pattern=PLAIN)
    region: str | None = Field(default=None, max_length=10, pattern=PLAIN)
    country: Country | None = None
    phone: str | None = Field(default=None, max_length=32, pattern=PLAIN)
    default: bool | None = None


class AddressRead(PostalAddress):
    id: str
    default: bool


class CustomerRegister(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    name: str | None = Field(default=None, max_length=200, pattern=PLAIN)
    locale: LocaleTag = None
    cart_id: str | None = Field(
        default=None,
        max_length=40,
        pattern=ID_PATTERN,
        description="An anonymous cart to adopt: it becomes the new customer's cart.",
    )


class RegistrationPending(BaseModel):
    """The answer to every registration, whether or not the email has an account: the
    mail that was sent (a link to confirm, or a notice) says which, to its owner only."""

    status: Literal["verification_sent"] = "verification_sent"
    email: str = Field(description="Where the mail went (as sent, lower-cased).")
    expires_at: datetime = Field(description="Until when the emailed link works.")


class EmailVerification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(
        min_length=16, max_length=100, pattern=r"^[A-Za-z0-9_-]+$",
        description="The token of the emailed link (`verify=` in its query).",
    )  # fmt: skip
    cart_id: str | None = Field(
        default=None,
        max_length=40,
        pattern=ID_PATTERN,
        description="An anonymous cart of the device that confirms (else the one registered "
        "with, if any).",
    )


class CustomerLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: str = Field(min_length=1, max_length=256)
    cart_id: str | None = Field(
        default=None,
        max_length=40,
        pattern=ID_PATTERN,
        description="An anonymous cart to merge into the customer's cart on sign-in.",
    )


class CustomerRead(BaseModel):
    id: str
    email: str
    name: str | None
    phone: str | None
    locale: str | None
    loyalty_card: str | None
    addresses: list[AddressRead]
    created_at: datetime


class CustomerSession(BaseModel):
    customer: CustomerRead
    token: str = Field(description="Send as `Authorization: Bearer <token>` on storefront calls.")
    expires_at: datetime
    cart_id: str | None = Field(
        default=None, description="The customer's active cart after any merge, if there is one."
    )


class CustomerUpdate(BaseModel):
    """What a customer may change about themselves."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, pattern=PLAIN)
    phone: str | None = Field(default=None, max_length=32, pattern=PLAIN)
    locale: LocaleTag = None


class CustomerCreate(BaseModel):
    """An operator (or a store) creating a customer, with no password yet."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    name: str | None = Field(default=None, max_length=200, pattern=PLAIN)
    phone: str | None = Field(default=None, max_length=32, pattern=PLAIN)
    locale: LocaleTag = None
    loyalty_card: LoyaltyCard | None = None


class CustomerAdminUpdate(CustomerUpdate):
    loyalty_card: LoyaltyCard | None = None
