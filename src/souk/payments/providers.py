"""Payment providers: the interface Souk talks to, and the built-in `test` provider.

A provider is called outside any stock transaction (authorisation may take a network round
trip); `reference` is Souk's payment id, which a real provider uses as its idempotency key so
that a retried call does not authorise twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from souk.errors import ValidationFailed, field_error


@dataclass(frozen=True, slots=True)
class ProviderResult:
    approved: bool
    reference: str | None = None
    reason: str | None = None


class PaymentProvider(Protocol):
    name: str

    def authorize(
        self, *, amount: int, currency: str, token: str, reference: str
    ) -> ProviderResult: ...

    def capture(self, *, authorization: str, amount: int) -> ProviderResult: ...

    def void(self, *, authorization: str) -> ProviderResult: ...

    def refund(self, *, authorization: str, amount: int) -> ProviderResult: ...

    def accepts_token(self, token: str) -> bool: ...


class TestProvider:
    """Authorises `tok_ok`, declines `tok_decline`; capture, void and refund always succeed."""

    name = "test"
    TOKENS = frozenset({"tok_ok", "tok_decline"})

    def accepts_token(self, token: str) -> bool:
        return token in self.TOKENS

    def authorize(
        self, *, amount: int, currency: str, token: str, reference: str
    ) -> ProviderResult:
        if token == "tok_ok":
            return ProviderResult(True, reference="test_auth_" + secrets.token_hex(8))
        return ProviderResult(False, reason="card declined")

    def capture(self, *, authorization: str, amount: int) -> ProviderResult:
        return ProviderResult(True, reference="test_cap_" + secrets.token_hex(8))

    def void(self, *, authorization: str) -> ProviderResult:
        return ProviderResult(True, reference="test_void_" + secrets.token_hex(8))

    def refund(self, *, authorization: str, amount: int) -> ProviderResult:
        return ProviderResult(True, reference="test_ref_" + secrets.token_hex(8))


class OfflineProvider:
    """Money taken outside Souk (cash or a card terminal in a store, a marketplace that
    collected the payment): recorded as already captured; refunds are recorded, not sent."""

    def __init__(self, name: str) -> None:
        self.name = name

    def accepts_token(self, token: str) -> bool:
        return True

    def authorize(
        self, *, amount: int, currency: str, token: str, reference: str
    ) -> ProviderResult:
        return ProviderResult(True, reference=reference)

    def capture(self, *, authorization: str, amount: int) -> ProviderResult:
        return ProviderResult(True, reference=authorization)

    def void(self, *, authorization: str) -> ProviderResult:
        return ProviderResult(True, reference=authorization)

    def refund(self, *, authorization: str, amount: int) -> ProviderResult:
        return ProviderResult(True, reference=authorization)


_PROVIDERS: dict[str, PaymentProvider] = {
    "test": TestProvider(),
    "in_store": OfflineProvider("in_store"),
    "marketplace": OfflineProvider("marketplace"),
    # Stored value the shop holds itself: the ledgers move in the caller's transaction
    # (see `souk.payments.service.register_give_back`), the provider only records.
    "gift_card": OfflineProvider("gift_card"),
    "loyalty": OfflineProvider("loyalty"),
}
# Shoppers may pay through these at checkout; the offline ones are for POS and imports.
CHECKOUT_PROVIDERS = frozenset({"test"})


def register_provider(provider: PaymentProvider, *, checkout: bool = True) -> None:
    """Plug in a real provider (Stripe, Adyen…) at start-up, from wiring."""
    global CHECKOUT_PROVIDERS
    _PROVIDERS[provider.name] = provider
    if checkout:
        CHECKOUT_PROVIDERS = CHECKOUT_PROVIDERS | {provider.name}


def get_provider(name: str) -> PaymentProvider:
    provider = _PROVIDERS.get(name)
    if provider is None:
        raise ValidationFailed(
            f"Unknown payment provider {name!r}",
            errors=[field_error("body.payment.provider", "unknown provider")],
        )
    return provider


def checkout_provider(name: str, token: str) -> PaymentProvider:
    """The provider a shopper names at checkout, once its token is known to be well-formed."""
    provider = get_provider(name)
    errors = []
    if name not in CHECKOUT_PROVIDERS:
        errors.append(field_error("body.payment.provider", "not available at checkout"))
    elif not provider.accepts_token(token):
        errors.append(field_error("body.payment.token", "not a token this provider issued"))
    if errors:
        raise ValidationFailed("The payment details are not valid", errors=errors)
    return provider
