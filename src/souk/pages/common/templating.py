"""The Jinja2 environment of the pages: autoescaped, with
the filters that format what services return (money in minor units, timestamps)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, select_autoescape

from souk.money import minor_digits

COMMON_TEMPLATES = Path(__file__).parent / "templates"


def money(value: Any, locale: str = "en") -> str:
    """`{"amount": 1999, "currency": "EUR"}` (or a Money model) as €19.99."""
    if value is None:
        return ""
    amount = value["amount"] if isinstance(value, dict) else value.amount
    currency = value["currency"] if isinstance(value, dict) else value.currency
    major = Decimal(amount).scaleb(-minor_digits(currency))
    return str(format_currency(major, currency, locale=locale))


def when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def make_environment(*template_dirs: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader([*template_dirs, COMMON_TEMPLATES]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["when"] = when
    return env
