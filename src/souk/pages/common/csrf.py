"""CSRF tokens: one per console session (sent in every form and htmx request), and a
double-submit cookie for the sign-in form, which comes before any session."""

from __future__ import annotations

import hmac
import secrets

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PRESESSION_COOKIE = "souk_csrf"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
