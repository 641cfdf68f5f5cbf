"""RFC 9457 problem responses: every error leaves Souk in this one shape."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from souk.db.faults import FAULT_TYPES, DatabaseFault, classify, sqlstate_of
from souk.errors import SoukError

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://souk.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    field: str
    message: str
    type: str | None = None


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] = []


def problem_response(
    status: int,
    problem: str,
    title: str,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem,
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": _location(err.get("loc", ())),
            "message": err.get("msg", ""),
            "type": err.get("type"),
        }
        for err in exc.errors()
    ]


_HTTP_NAMES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


def install(app: FastAPI) -> None:
    @app.exception_handler(SoukError)
    async def _souk_error(request: Request, exc: SoukError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.problem,
            exc.title,
            exc.detail,
            errors=exc.errors,
            extra=exc.extra(),
            headers=exc.headers() or None,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        fields = ", ".join(e["field"] for e in errors)
        return problem_response(
            422, "validation-error", "Invalid request", f"Invalid fields: {fields}", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI answers a body it cannot decode (bad UTF-8, broken form data) with a
            # bare 400; for clients it is one more invalid request, so it is a 422 like all.
            return problem_response(
                422,
                "validation-error",
                "Invalid request",
                "The request body cannot be decoded",
                errors=[{"field": "body", "message": str(exc.detail), "type": "body_decode"}],
            )
        problem, title = _HTTP_NAMES.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(exc.status_code, problem, title, detail, headers=exc.headers)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
        # The database refused a value that passed the schema: a number beyond its integer
        # range, a NUL character PostgreSQL cannot keep in text. The transaction was rolled
        # back, so nothing was written; for the client it is one more invalid request.
        log.info(
            "value refused by the database on %s %s: %s", request.method, request.url.path, exc
        )
        return problem_response(
            422,
            "validation-error",
            "Invalid request",
            "A value is out of range or contains characters that cannot be stored (such as NUL)",
        )

    for fault_type in FAULT_TYPES:
        app.add_exception_handler(fault_type, _database_fault)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A database fault raised in a middleware (outside the routes' handlers) lands here.
        if classify(exc) is not None:
            return await _database_fault(request, exc)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal-error", "Internal server error")


def fault_response(fault: DatabaseFault) -> JSONResponse:
    return problem_response(
        fault.status,
        fault.problem,
        fault.title,
        fault.detail,
        headers={"Retry-After": str(fault.retry_after_s)},
    )


async def _database_fault(request: Request, exc: Exception) -> JSONResponse:
    # The database is down, too slow or full: the transaction was rolled back, so the
    # client learns that nothing happened and when to try again (docs/operations.md).
    fault = classify(exc)
    if fault is None:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal-error", "Internal server error")
    # The SQLSTATE and the driver's first line tell an outage from a refused connection
    # (too many clients) or a deadlock when the log is all that is left of it.
    first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[:1]
    log.warning(
        "%s on %s %s: %s sqlstate=%s %s", fault.problem, request.method, request.url.path,
        exc.__class__.__name__, sqlstate_of(exc), first_line[0] if first_line else "",
    )  # fmt: skip
    return fault_response(fault)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": title}
    for status, title in [
        (401, "Missing or invalid credentials"),
        (403, "Not allowed for this key or customer"),
        (404, "Not found"),
        (409, "Conflict with the current state"),
        (413, "Payload too large"),
        (422, "Invalid request"),
        (429, "Too many requests (see `Retry-After`)"),
        (503, "Database unavailable or too slow (with Retry-After); nothing was changed"),
        (507, "The database has no space left; nothing was changed"),
    ]
}


def problems_as_problem_json(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare every 4xx/5xx response of the OpenAPI document as application/problem+json."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[:1] in ("4", "5") and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return schema
