"""NATS for the event-stream tests: the shared server at 127.0.0.1:4222 (skipped with the
reason when absent, failing under CI=true), or a private nats-server process with its own
store directory, for tests that kill and restart the broker."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import nats
import pytest

from souk.db.outbox import Event
from souk.settings import Settings
from tests.conftest import IN_CI
from tests.support.loops import run_apart
from tests.support.server import free_port

T = TypeVar("T")

SHARED_NATS = os.environ.get("SOUK_TEST_NATS_URL", "nats://127.0.0.1:4222")
NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def _listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason + " (CI=true: the event-stream tests must run)")
    pytest.skip(reason)


@pytest.fixture
def shared_nats() -> str:
    port = int(SHARED_NATS.rsplit(":", 1)[1])
    if not _listening(port):
        _unavailable(f"NATS at {SHARED_NATS} is unreachable")
    return SHARED_NATS


class PrivateNats:
    """A nats-server of our own (JetStream on, file store in its own directory)."""

    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.store = store
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the private nats-server did not start")
            time.sleep(0.05)  # polling for the port, not synchronising on a guess

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    if not Path(NATS_SERVER).exists():
        _unavailable(f"{NATS_SERVER} is not installed")
    server = PrivateNats(tmp_path / "jetstream")
    server.start()
    yield server
    server.kill()


def stream_settings(settings: Settings, url: str) -> Settings:
    tag = secrets.token_hex(4)
    return settings.model_copy(
        update={
            "nats_url": url,
            "nats_stream": f"SOUK_TEST_{tag}",
            "nats_subject_prefix": f"souk.test{tag}",
        }
    )


def stream_messages(settings: Settings) -> int:
    async def count() -> int:
        nc = await nats.connect(settings.nats_url, connect_timeout=2, max_reconnect_attempts=1)
        try:
            info = await nc.jetstream().stream_info(settings.nats_stream)
            return int(info.state.messages)
        finally:
            await nc.close()

    return run_apart(count)


def delete_stream(settings: Settings) -> None:
    async def delete() -> None:
        nc = await nats.connect(settings.nats_url, connect_timeout=2, max_reconnect_attempts=1)
        try:
            await nc.jetstream().delete_stream(settings.nats_stream)
        finally:
            await nc.close()

    # A private broker's stream goes with its store directory anyway.
    with contextlib.suppress(Exception):
        run_apart(delete)


@dataclass
class Recorder:
    """An idempotent consumer: the effect is the set of event ids; `calls` counts raw
    deliveries, which may repeat an event after an outage."""

    consumer_name: str = "recorder"
    seen: set[int] = field(default_factory=set)
    calls: int = 0
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.calls += 1
            self.seen.add(event.id)
            self._lock.notify_all()

    def wait_for(self, ids: set[int], timeout_s: float = 120.0) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: ids <= self.seen, timeout_s):
                raise TimeoutError(f"{len(ids - self.seen)} of {len(ids)} events never arrived")

    def wait_count(self, n: int, timeout_s: float = 120.0) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.seen) >= n, timeout_s):
                raise TimeoutError(f"{len(self.seen)} of {n} events arrived")
