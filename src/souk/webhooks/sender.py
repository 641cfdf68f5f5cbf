"""One HTTP attempt of one delivery: resolve and check the address again, connect to that
very address, sign, send, and report what happened. Never raises."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from souk.webhooks import addresses
from souk.webhooks.models import parse_retry_after
from souk.webhooks.signing import signature_header

USER_AGENT = "Souk-Webhooks/1"
MAX_ERROR = 500
READ_LIMIT = 1024
RESOLVE_BUDGET_S = 5.0


@dataclass(frozen=True, slots=True)
class Job:
    seq: int
    msg_id: str
    endpoint_id: str
    url: str
    secrets: list[str]
    payload: dict[str, object]
    attempts: int
    # The worker's claim: it alone may send the delivery until then.
    lease_until: datetime


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


def _pinned(url: str, target: addresses.Target) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The URL with its host replaced by the checked address, the Host header, and the TLS
    server name: DNS is not asked twice, so it cannot answer differently in between."""
    original = httpx.URL(url)
    pinned = original.copy_with(host=target.address)
    default_port = 443 if target.scheme == "https" else 80
    host = target.host if target.port == default_port else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return pinned, {"Host": host}, extensions


def send(client: httpx.Client, job: Job, *, allow_private: bool, now: datetime) -> Outcome:
    started = time.perf_counter()

    def outcome(code: int | None, error: str | None, retry_after: float | None = None) -> Outcome:
        elapsed = int((time.perf_counter() - started) * 1000)
        return Outcome(code, error[:MAX_ERROR] if error else None, retry_after, elapsed)

    try:
        target = addresses.resolve(job.url, allow_private=allow_private)
    except addresses.AddressRefused as exc:
        return outcome(None, f"refused: {exc}")
    body = body_of(job.payload)
    url, headers, extensions = _pinned(job.url, target)
    headers.update(
        {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": job.msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature_header(
                secrets=job.secrets, msg_id=job.msg_id, timestamp=now, body=body
            ),
        }
    )
    request = client.build_request(
        "POST", url, content=body.encode(), headers=headers, extensions=extensions
    )
    try:
        response = client.send(request, stream=True)
        try:
            # At most READ_LIMIT bytes of the answer: a receiver that drips an endless body
            # cannot stretch the attempt past its budget (and so past the worker's lease).
            text = _head(response).decode("utf-8", "replace")
        finally:
            response.close()
    except httpx.TimeoutException:
        return outcome(None, "timed out")
    except httpx.HTTPError as exc:
        return outcome(None, f"{exc.__class__.__name__}: {exc}")
    code = response.status_code
    if 200 <= code < 300:
        return outcome(code, None)
    retry_after = parse_retry_after(response.headers.get("retry-after"), now=now)
    return outcome(code, f"HTTP {code}: {text[:200]}", retry_after)


def _head(response: httpx.Response) -> bytes:
    read = b""
    for chunk in response.iter_bytes():
        read += chunk
        if len(read) >= READ_LIMIT:
            break
    return read[:READ_LIMIT]


def attempt_budget_s(timeout_s: float) -> float:
    """The longest one attempt can take: connecting, writing and reading are each bounded
    by the timeout (the connection pool never makes a sender wait: it holds more
    connections than the worker has threads), and the address is resolved before."""
    return 3 * timeout_s + RESOLVE_BUDGET_S
