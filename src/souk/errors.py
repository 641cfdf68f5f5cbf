"""The one error hierarchy of Souk.

Domain code raises these; `souk.api.problems` maps them to RFC 9457 responses in one place.
Each error carries the data a client needs to act on it.
"""

from __future__ import annotations

from typing import Any


class SoukError(Exception):
    status = 400
    problem = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    def extra(self) -> dict[str, Any]:
        """Members added to the problem document beside the standard ones."""
        return {}

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries (`Retry-After`)."""
        return {}


class NotFound(SoukError):
    status = 404
    problem = "not-found"
    title = "Not found"


class Conflict(SoukError):
    status = 409
    problem = "conflict"
    title = "Conflict"


class AlreadyExists(Conflict):
    problem = "already-exists"
    title = "Already exists"


class InvalidState(Conflict):
    problem = "invalid-state"
    title = "Not allowed in the current state"


class ValidationFailed(SoukError):
    """Input that is well-formed but breaks a business rule (unknown code, bad currency…)."""

    status = 422
    problem = "validation-error"
    title = "Invalid request"


class Unauthorized(SoukError):
    status = 401
    problem = "unauthorized"
    title = "Authentication required"


class Forbidden(SoukError):
    status = 403
    problem = "forbidden"
    title = "Forbidden"


class PaymentDeclined(SoukError):
    status = 402
    problem = "payment-declined"
    title = "Payment declined"


class OutOfStock(Conflict):
    problem = "out-of-stock"
    title = "Out of stock"

    def __init__(self, lines: list[dict[str, Any]], detail: str | None = None) -> None:
        super().__init__(
            detail or "Not enough stock for: " + ", ".join(str(line.get("sku")) for line in lines)
        )
        self.lines = lines

    def extra(self) -> dict[str, Any]:
        return {"lines": self.lines}


class PayloadTooLarge(SoukError):
    status = 413
    problem = "payload-too-large"
    title = "Payload too large"


class RateLimited(SoukError):
    status = 429
    problem = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = max(1, retry_after_s)

    def extra(self) -> dict[str, Any]:
        return {"retry_after_s": self.retry_after_s}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


def field_error(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}
