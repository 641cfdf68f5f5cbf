"""Text fields safe for both back ends: PostgreSQL refuses NUL characters in text and JSON,
so input carrying one is a validation error (422) instead of a database error (500)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from souk.errors import ValidationFailed

NO_NUL = r"^[^\x00]*$"

Text = Annotated[str, Field(pattern=NO_NUL)]


def _check_json(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key)
            _check_json(item)
    elif isinstance(value, list):
        for item in value:
            _check_json(item)
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_check_json)]


def cursor_key(key: list[Any] | None, *types: type) -> list[Any] | None:
    """A decoded cursor whose values have the expected types (and no NUL), else a 422: a
    forged cursor must not reach the database as something it cannot store."""
    if key is None:
        return None
    if len(key) != len(types) or not all(
        isinstance(v, t) and not isinstance(v, bool) for v, t in zip(key, types, strict=False)
    ):
        raise _bad_cursor()
    if any(isinstance(v, str) and "\x00" in v for v in key):
        raise _bad_cursor()
    return key


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not one this API issued",
        errors=[{"field": "query.cursor", "message": "malformed cursor"}],
    )
