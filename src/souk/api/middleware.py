"""Request ids (in every log line and response), the request size limit and the JSON nesting
limit."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from souk.api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("souk.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# Every answer: no MIME sniffing, no framing, no referrer leaking ids in URLs (docs/security.md).
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
# JSON answers are never a document to run anything in.
_API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Pages (the API docs today; /admin, /pos, /shop later) load their own scripts and styles,
# no third party; Swagger UI starts from one inline script, hence 'unsafe-inline' there.
_PAGE_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    b"object-src 'none'; form-action 'self'"
)
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def security_headers(
    headers: list[tuple[bytes, bytes]], *, https: bool, personal: bool
) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    added = [h for h in _ALWAYS if h[0] not in present]
    if b"content-security-policy" not in present:
        csp = _PAGE_CSP if content_type.startswith(b"text/html") else _API_CSP
        added.append((b"content-security-policy", csp))
    if https:
        added.append(_HSTS)
    if personal and b"cache-control" not in present:
        # An answer to a request with credentials is someone's data: no shared cache keeps it.
        added.append((b"cache-control", b"no-store"))
    return [*headers, *added]


class RequestIdMiddleware:
    """Takes the caller's `X-Request-ID` if it is sane, else makes one; echoes it back, with
    the security headers every answer carries."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope["headers"])
        given = request_headers.get(b"x-request-id", b"").decode("latin-1")
        https = scope.get("scheme") == "https"
        personal = b"authorization" in request_headers
        request_id = given if _SAFE_ID.match(given) else "req_" + secrets.token_hex(8)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message["headers"] = security_headers(headers, https=https, personal=personal)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "%s %s %s %.1fms",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Refuses a body over `max_bytes` with a 413 before any of it is parsed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": PROBLEM_BASE + "payload-too-large",
                "title": "Payload too large",
                "status": 413,
                "detail": f"The request body is larger than {self.max_bytes} bytes",
                "errors": [],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


MAX_JSON_DEPTH = 64
# The "unrolled loop" form: one C-speed run per stretch of plain characters.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_PARENS = bytes.maketrans(b"[{]}", b"(())")


def json_depth(body: bytes) -> int:
    """How deep a JSON text nests, without parsing it (a parser recurses, and 10,000 nested
    brackets overflow its stack). Strings are removed first: brackets inside them count not.
    0 when the text has too few brackets to exceed `MAX_JSON_DEPTH` at all; counting stops
    at `MAX_JSON_DEPTH + 1`."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep; the common case costs two C-speed counts
    # Without an escaped quote, every other piece between quotes is a string (C-speed split).
    escaped = b'\\"' in body
    outside = _JSON_STRING.sub(b"", body) if escaped else b"".join(body.split(b'"')[::2])
    pairs = outside.translate(_PARENS, _NOT_BRACKETS)
    # Each pass removes the innermost level everywhere, at C speed: depth d takes d passes.
    depth = 0
    while pairs and depth <= MAX_JSON_DEPTH:
        shorter = pairs.replace(b"()", b"")
        if len(shorter) == len(pairs):
            return depth + pairs.count(b"(")  # unbalanced: count what was left open
        pairs, depth = shorter, depth + 1
    return depth


class JsonDepthMiddleware:
    """Refuses a request body nested deeper than `MAX_JSON_DEPTH` with a 422, before any
    layer (idempotency fingerprint, FastAPI's parser, pydantic) recurses into it. No request
    of this API needs more than a handful of levels; free-form fields have their own, lower,
    limit (`souk.text.JSON_MAX_DEPTH`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if json_depth(body) > MAX_JSON_DEPTH:
            await _send_problem(
                send,
                422,
                "validation-error",
                f"The request body nests deeper than {MAX_JSON_DEPTH} levels",
                [{"field": "body", "message": "nested too deeply", "type": "json_depth"}],
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _send_problem(
    send: Send, status: int, problem: str, detail: str, errors: list[dict[str, str]]
) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_BASE + problem,
            "title": "Invalid request",
            "status": status,
            "detail": detail,
            "errors": errors,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
