"""A lean HTTP/1.1 load generator on asyncio (uvloop when present): keep-alive connections,
one request in flight per connection, JSON bodies, latencies from `perf_counter`.

Two ways to drive a server: `run_pool` runs a flow of requests per job (a shopper's cart,
lines and checkout), each worker on its own connection; `hammer` sends pre-encoded requests
of one shape back to back from many connections released together, for the hot-row and
read-latency benchmarks, where the client's own CPU per request must stay as low as possible.

Written for the benchmarks because a general-purpose client (httpx) spends more CPU per
request than the server does on a minimal endpoint, and every core of this machine is shared
with the server and the database under test. It speaks only what Souk answers with:
`Content-Length` bodies (and chunked, just in case), no TLS, no redirects.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
    uvloop = None


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        payload = b"" if body is None else json.dumps(body).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.headers}{extra}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        started = time.perf_counter()
        reader, writer = await self._open()
        writer.write(head.encode() + payload)
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        chunked = False
        close = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        data = await (self._chunked(reader) if chunked else reader.readexactly(length))
        if close:
            await self.close()
        return Reply(status, data, time.perf_counter() - started)

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        parts = []
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readline()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None


async def run_pool(
    jobs: Iterable[Any],
    work: Callable[[Connection, Any], Awaitable[Any]],
    *,
    base_url: str,
    concurrency: int,
    headers: dict[str, str] | None = None,
) -> list[Any]:
    """Run `work(connection, job)` for every job, `concurrency` at a time, each worker on a
    keep-alive connection of its own; results in the order of the jobs."""
    queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()
    items = list(jobs)
    for i, job in enumerate(items):
        queue.put_nowait((i, job))
    results: list[Any] = [None] * len(items)

    async def worker() -> None:
        connection = Connection(base_url, headers)
        try:
            while not queue.empty():
                i, job = queue.get_nowait()
                results[i] = await work(connection, job)
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(items)) or 1)))
    return results


def run(coroutine: Awaitable[Any]) -> Any:
    if uvloop is not None:
        return uvloop.run(coroutine)  # type: ignore[arg-type]
    return asyncio.run(coroutine)  # type: ignore[arg-type]


# The raw side: requests encoded once, answers parsed only as far as status and length.

_CONTENT_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


def http_request(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass(frozen=True, slots=True)
class Sample:
    status: int
    latency_s: float
    done_at: float  # seconds since the start of the run


async def _client(
    port: int, requests: list[bytes], stop_on: int | None, count: int | None, start: asyncio.Event
) -> list[Sample]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    samples: list[Sample] = []
    await start.wait()
    origin = _ORIGIN[0]
    try:
        while count is None or len(samples) < count:
            began = time.perf_counter()
            writer.write(requests[len(samples) % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = _CONTENT_LENGTH.search(head)
            if length:
                await reader.readexactly(int(length.group(1)))
            now = time.perf_counter()
            samples.append(Sample(status, now - began, now - origin))
            if status >= 500 or status == stop_on:
                break
    finally:
        writer.close()
    return samples


_ORIGIN = [0.0]


def hammer(
    port: int,
    requests: list[bytes],
    *,
    clients: int,
    stop_on: int | None = None,
    count: int | None = None,
) -> tuple[list[Sample], float]:
    """`clients` connections, each sending the requests (in turn) back to back until it gets
    `stop_on` (or `count` answers). Returns every sample and the wall time of the run."""

    async def race() -> list[list[Sample]]:
        start = asyncio.Event()
        tasks = [
            asyncio.ensure_future(_client(port, requests[i:] + requests[:i], stop_on, count, start))
            for i in range(clients)
        ]
        await asyncio.sleep(0.2)  # let every connection open before the start signal
        _ORIGIN[0] = time.perf_counter()
        start.set()
        return list(await asyncio.gather(*tasks))

    results: list[list[Sample]] = run(race())
    samples = [s for per_client in results for s in per_client]
    wall = max((s.done_at for s in samples), default=0.0)
    return samples, wall
