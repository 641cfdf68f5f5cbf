"""Message templates: Jinja2 in a sandbox (a marketer's template cannot reach Python's
internals), undefined variables are errors, and every template is rendered once against
sample variables when the journey is saved, so that one which cannot render is refused
then, not discovered at three in the morning by the sender."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
LINK = re.compile(r"https?://[^\s\"'<>)]+")

SAMPLE: dict[str, Any] = {
    "profile": {
        "id": "prof_sample",
        "email": "anne@example.com",
        "phone": "+33600000000",
        "traits": {"name": "Anne", "first_name": "Anne"},
        "computed": {},
    },
    "cart": {
        "id": "cart_sample",
        "lines": [
            {
                "sku": "TEE-M",
                "title": "T-shirt",
                "quantity": 1,
                "unit_price": {"amount": 2500, "currency": "EUR"},
            }
        ],
        "totals": {"total": {"amount": 2500, "currency": "EUR"}},
        "url": "https://shop.example.com/cart",
    },
    "order": {"id": "ord_sample", "number": 1001, "total": {"amount": 2990, "currency": "EUR"}},
    "coupon": {"code": "PSAMPLE"},
    "product": {"sku": "TEE-M", "price": {"amount": 1990, "currency": "EUR"}},
    "pickup": {"location": "store-paris", "code": "123456"},
    "unsubscribe_url": "https://souk.example.com/v1/unsubscribe/sample",
}


class _Lenient(dict[str, Any]):
    """Sample variables where a marketer's own keys (profile.traits.plan) are allowed."""


def _lenient_sample() -> dict[str, Any]:
    sample = dict(SAMPLE)
    profile = dict(sample["profile"])
    profile["traits"] = _AnyKey(profile["traits"])
    profile["computed"] = _AnyKey({})
    sample["profile"] = profile
    return sample


class _AnyKey(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def problems(template: dict[str, dict[str, str]], field: str) -> list[dict[str, str]]:
    """What keeps each locale's subject and body from rendering, as 422 field errors."""
    found: list[dict[str, str]] = []
    sample = _lenient_sample()
    for locale, parts in template.items():
        for part in ("subject", "body"):
            try:
                render(parts.get(part, ""), sample)
            except TemplateError as exc:
                found.append(
                    {"field": f"{field}.{locale}.{part}", "message": f"does not render: {exc}"}
                )
    return found


def render(source: str, variables: dict[str, Any]) -> str:
    return _env.from_string(source).render(**variables)


def links_of(body: str) -> list[str]:
    return list(dict.fromkeys(LINK.findall(body)))
