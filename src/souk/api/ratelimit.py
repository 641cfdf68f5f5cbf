"""Rate limits: fixed-window counters per client IP, per credential and per route, kept in
Redis when `SOUK_REDIS_URL` is set (shared by every worker and host) and in this process
otherwise. A request over a limit gets 429 with `Retry-After` (docs/security.md).

Fixed windows are the simplest counter that Redis keeps atomically in one round trip; they
let a client burst up to twice a limit across a window boundary, which is acceptable for
limits meant to stop floods and guessing, not to meter usage.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ipaddress
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from starlette.types import ASGIApp, Receive, Scope, Send

from souk.api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from souk.settings import Settings

log = logging.getLogger(__name__)

# INCR, and start the window on the first hit; answers the count and the window's rest.
_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
"""


@dataclass(frozen=True, slots=True)
class Rule:
    """At most `limit` events per `window_s` seconds; parsed from `"120/60"`."""

    limit: int
    window_s: int

    @classmethod
    def parse(cls, text: str) -> Rule:
        count, _, seconds = text.partition("/")
        rule = cls(int(count), int(seconds))
        if rule.limit < 1 or rule.window_s < 1:
            raise ValueError(f"a rate limit is COUNT/SECONDS, both positive, not {text!r}")
        return rule


STORE_ERRORS = (redis.RedisError, OSError)


class Store(Protocol):
    def hit(self, key: str, window_ms: int) -> tuple[int, int]: ...
    async def ahit(self, key: str, window_ms: int) -> tuple[int, int]: ...
    def ttl_ms(self, key: str) -> int: ...
    def put(self, key: str, ttl_ms: int) -> None: ...
    def delete(self, *keys: str) -> None: ...


class MemoryStore:
    """Counters of one process: right for one worker; several workers each count apart
    (a limit then holds per worker: set SOUK_REDIS_URL)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock  # tests move time on by hand instead of sleeping
        self._entries: dict[str, tuple[float, int]] = {}  # key -> (expires at, count)
        self._lock = threading.Lock()
        self._next_purge = clock() + 60

    def hit(self, key: str, window_ms: int) -> tuple[int, int]:
        now = self.clock()
        with self._lock:
            if now > self._next_purge:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                self._next_purge = now + 60
            expires, count = self._entries.get(key, (0.0, 0))
            if expires <= now:
                expires, count = now + window_ms / 1000, 0
            self._entries[key] = (expires, count + 1)
            return count + 1, math.ceil((expires - now) * 1000)

    async def ahit(self, key: str, window_ms: int) -> tuple[int, int]:
        return self.hit(key, window_ms)

    def ttl_ms(self, key: str) -> int:
        with self._lock:
            expires, _ = self._entries.get(key, (0.0, 0))
        return max(0, math.ceil((expires - self.clock()) * 1000))

    def put(self, key: str, ttl_ms: int) -> None:
        with self._lock:
            self._entries[key] = (self.clock() + ttl_ms / 1000, 1)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)


class RedisStore:
    """Counters shared by every worker through Redis, one round trip per check."""

    def __init__(self, url: str, prefix: str) -> None:
        self.prefix = prefix
        self.url = url
        self._sync = redis.Redis.from_url(url, socket_timeout=1.0)
        self._hit = self._sync.register_script(_HIT)
        # An asyncio client's connections belong to the event loop that opened them: one
        # client per loop (a server has one per worker; test clients each bring their own).
        self._async: dict[int, tuple[aioredis.Redis, AsyncScript]] = {}

    def hit(self, key: str, window_ms: int) -> tuple[int, int]:
        count, ttl = self._hit(keys=[self.prefix + key], args=[window_ms])
        return int(count), int(ttl)

    async def ahit(self, key: str, window_ms: int) -> tuple[int, int]:
        loop = id(asyncio.get_running_loop())
        if loop not in self._async:
            client = aioredis.Redis.from_url(self.url, socket_timeout=1.0)
            self._async = {loop: (client, client.register_script(_HIT))}
        _, script = self._async[loop]
        count, ttl = await script(keys=[self.prefix + key], args=[window_ms])
        return int(count), int(ttl)

    def ttl_ms(self, key: str) -> int:
        return max(0, int(self._sync.pttl(self.prefix + key)))

    def put(self, key: str, ttl_ms: int) -> None:
        self._sync.set(self.prefix + key, 1, px=max(1, ttl_ms))

    def delete(self, *keys: str) -> None:
        if keys:
            self._sync.delete(*(self.prefix + k for k in keys))

    def ping(self) -> None:
        self._sync.ping()


def make_store(settings: Settings) -> Store:
    if settings.redis_url:
        return RedisStore(settings.redis_url, prefix=settings.redis_prefix + "rl:")
    return MemoryStore()


def limits_from(settings: Settings) -> Limits:
    return Limits(
        per_ip=Rule.parse(settings.rate_limit_per_ip),
        per_credential=Rule.parse(settings.rate_limit_per_credential),
        routes={
            ("POST", "/v1/carts"): Rule.parse(settings.rate_limit_carts),
            ("POST", "/v1/customers/register"): Rule.parse(settings.rate_limit_register),
        },
        exempt=tuple(ipaddress.ip_network(n, strict=False) for n in settings.rate_limit_exempt),
    )


def digest(value: str) -> str:
    """Keys name a credential or an email by a hash: the store never holds either."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Limits:
    per_ip: Rule
    per_credential: Rule
    routes: dict[tuple[str, str], Rule]  # (method, path) -> per-IP rule for that route
    exempt: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    def is_exempt(self, ip: str) -> bool:
        return _exempt(ip, self.exempt)


@functools.lru_cache(maxsize=4096)  # parsing an address costs more than the whole check
def _exempt(ip: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in networks)


def too_many(retry_after_s: int, detail: str) -> tuple[dict[str, Any], list[tuple[bytes, bytes]]]:
    body = {
        "type": PROBLEM_BASE + "rate-limited",
        "title": "Too many requests",
        "status": 429,
        "detail": detail,
        "errors": [],
        "retry_after_s": retry_after_s,
    }
    headers = [(b"retry-after", str(retry_after_s).encode())]
    return body, headers


class RateLimitMiddleware:
    """Counts every request of a client IP, of a credential (an API key or customer token:
    `Authorization`), and of a client IP on the routes with a rule of their own (creating
    carts, registering). Runs before any body is read. Exempt networks (by default the
    loopback, where the benchmarks run) are logged at start, never skipped silently."""

    def __init__(self, app: ASGIApp, store: Store, limits: Limits) -> None:
        self.app = app
        self.store = store
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ip = (scope.get("client") or ("-", 0))[0]
        if self.limits.is_exempt(ip):
            await self.app(scope, receive, send)
            return
        checks = [(f"ip:{ip}", self.limits.per_ip, "this client address")]
        credential = dict(scope["headers"]).get(b"authorization")
        if credential:
            checks.append(
                (f"cred:{digest(credential.decode('latin-1'))}", self.limits.per_credential,
                 "this key or token")
            )  # fmt: skip
        route = self.limits.routes.get((scope["method"], scope["path"]))
        if route is not None:
            checks.append((f"route:{scope['method']}{scope['path']}:{ip}", route, "this route"))
        for key, rule, what in checks:
            try:
                count, ttl_ms = await self.store.ahit(key, rule.window_s * 1000)
            except STORE_ERRORS as exc:
                # A rate limiter that is down must not take the shop down with it.
                log.warning("rate limit store unreachable, request let through: %s", exc)
                break
            if count > rule.limit:
                retry = max(1, math.ceil(ttl_ms / 1000))
                body, headers = too_many(
                    retry, f"More than {rule.limit} requests in {rule.window_s} s from {what}"
                )
                await _send(send, body, headers)
                return
        await self.app(scope, receive, send)


async def _send(send: Send, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(raw)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})
