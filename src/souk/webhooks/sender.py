"""One HTTP attempt of one delivery: resolve and check the address again, connect to that
very address, sign, send, and report what happened. Never raises.

Sent with urllib3 rather than httpx: an attempt is most of a delivery's CPU, and urllib3
over the standard library's http.client costs about half of what httpx's request and
response models over httpcore and h11 do for the same POST (benchmarks/webhook_cost.py)."""

from __future__ import annotations

import json
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from souk.webhooks import addresses
from souk.webhooks.models import parse_retry_after
from souk.webhooks.signing import signature_header

USER_AGENT = "Souk-Webhooks/1"
MAX_ERROR = 500
READ_LIMIT = 1024
RESOLVE_BUDGET_S = 5.0
# Endpoints whose connection one sending thread keeps alive (least recently used goes).
CONNECTIONS_PER_THREAD = 8


@dataclass(frozen=True, slots=True)
class Job:
    seq: int
    msg_id: str
    endpoint_id: str
    url: str
    secrets: tuple[str, ...]
    payload: dict[str, object]
    attempts: int
    # The worker's claim: it alone may send the delivery until then.
    lease_until: datetime
    # The object the event is about, and how many of its deliveries to this endpoint were
    # pending before this one when it was claimed (per-object ordering).
    object_key: str = ""
    earlier: int = 0


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    retry_after_s: float | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def body_of(payload: dict[str, object]) -> str:
    # Deterministic, so every retry carries byte-for-byte the same body.
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def connections(*, timeout_s: float, tls: ssl.SSLContext) -> urllib3.PoolManager:
    """One sending thread's connections: one per endpoint address, kept alive. A thread
    sends one request at a time, so it never waits for a connection of its own."""
    return urllib3.PoolManager(
        num_pools=CONNECTIONS_PER_THREAD,
        maxsize=1,
        block=False,
        timeout=urllib3.Timeout(connect=timeout_s, read=timeout_s),
        retries=False,
        ssl_context=tls,
    )


def _pinned(
    pools: urllib3.PoolManager, url: str, target: addresses.Target
) -> tuple[urllib3.HTTPConnectionPool, str, str]:
    """The pool that connects to the checked address (DNS is not asked twice, so it cannot
    answer differently in between), the request target, and the Host header; over TLS the
    certificate is checked against, and the server name sent for, the URL's host."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if target.scheme == "https" else 80
    host = target.host if target.port == default_port else f"{target.host}:{target.port}"
    tls = {"server_hostname": target.host, "assert_hostname": target.host}
    pool = pools.connection_from_host(
        target.address,
        target.port,
        target.scheme,
        pool_kwargs=tls if target.scheme == "https" else None,
    )
    return pool, path, host


def send(pools: urllib3.PoolManager, job: Job, *, allow_private: bool, now: datetime) -> Outcome:
    started = time.perf_counter()

    def outcome(code: int | None, error: str | None, retry_after: float | None = None) -> Outcome:
        elapsed = int((time.perf_counter() - started) * 1000)
        return Outcome(code, error[:MAX_ERROR] if error else None, retry_after, elapsed)

    try:
        target = addresses.resolve(job.url, allow_private=allow_private)
    except addresses.AddressRefused as exc:
        return outcome(None, f"refused: {exc}")
    body = body_of(job.payload)
    pool, path, host = _pinned(pools, job.url, target)
    headers = {
        "Host": host,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": job.msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature_header(
            secrets=job.secrets, msg_id=job.msg_id, timestamp=now, body=body
        ),
    }
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body.encode(),
            headers=headers,
            retries=False,
            redirect=False,  # a redirect could lead past the address check
            assert_same_host=False,
            preload_content=False,
            decode_content=False,
        )
        try:
            # At most READ_LIMIT bytes of the answer: a receiver that drips an endless body
            # cannot stretch the attempt past its budget (and so past the worker's lease).
            text = _head(response).decode("utf-8", "replace")
        finally:
            if response.connection is not None:
                # Not read to its end (a longer answer): the connection cannot carry the
                # next request, so it is closed rather than kept.
                response.close()
                response.release_conn()
    except Urllib3Timeout:
        return outcome(None, "timed out")
    except (HTTPError, OSError) as exc:
        return outcome(None, f"{exc.__class__.__name__}: {exc}")
    code = response.status
    if 200 <= code < 300:
        return outcome(code, None)
    retry_after = parse_retry_after(response.headers.get("retry-after"), now=now)
    return outcome(code, f"HTTP {code}: {text[:200]}", retry_after)


def _head(response: urllib3.BaseHTTPResponse) -> bytes:
    read = b""
    while len(read) < READ_LIMIT:
        chunk = response.read(READ_LIMIT - len(read))
        if not chunk:
            break
        read += chunk
    return read


def attempt_budget_s(timeout_s: float) -> float:
    """The longest one attempt can take: connecting, writing and reading are each bounded
    by the timeout (a sending thread has a connection of its own per endpoint, so it never
    waits for one), and the address is resolved before."""
    return 3 * timeout_s + RESOLVE_BUDGET_S
