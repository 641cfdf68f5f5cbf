"""Text fields safe for both back ends: PostgreSQL refuses NUL characters in text and JSON,
so input carrying one is a validation error (422) instead of a database error (500).

Free-form JSON (`JsonObject`) is also bounded in depth and size: a value nested hundreds of
levels deep is stored fine but breaks every later read that serialises it recursively, so it
is refused at the door, before anything is written (docs/security.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from souk.errors import ValidationFailed

NO_NUL = r"^[^\x00]*$"

Text = Annotated[str, Field(pattern=NO_NUL)]


JSON_MAX_DEPTH = 32
JSON_MAX_BYTES = 32_768


def _check_json(value: Any) -> Any:
    # Iterative, not recursive: the check must not be the thing that overflows the stack.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("text may not contain NUL characters")
        elif isinstance(item, dict | list):
            if depth > JSON_MAX_DEPTH:
                raise ValueError(f"nests deeper than {JSON_MAX_DEPTH} levels")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > JSON_MAX_BYTES:
        raise ValueError(f"is {size} bytes as JSON; at most {JSON_MAX_BYTES} are kept")
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
