"""Customers as the other domains see them, and the pure rules about their data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError

# Deliberately loose: the only real test of an address is a message that arrives; this only
# catches what cannot be one (no @, spaces, no dot in the domain).
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]{2,}$")
EMAIL_PATTERN = _EMAIL.pattern


@dataclass(frozen=True, slots=True)
class CustomerInfo:
    id: str
    email: str
    name: str | None
    locale: str | None
    loyalty_card: str | None
    phone: str | None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def is_email(email: str) -> bool:
    return bool(_EMAIL.match(email))


@lru_cache(maxsize=256)
def is_locale(tag: str) -> bool:
    """A BCP 47 tag that CLDR knows (`ja`, `en-GB`, `pt_BR`)."""
    try:
        Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


# CLDR territories that are not countries: unknown, European Union, Eurozone, United Nations,
# outlying Oceania, pseudo-locales.
_NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(c for c in codes if len(c) == 2 and c not in _NOT_COUNTRIES)


def is_country(code: str) -> bool:
    """An ISO 3166-1 alpha-2 country code (upper case)."""
    return code in _countries()
