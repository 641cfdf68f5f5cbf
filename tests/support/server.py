"""A real `souk serve` in a subprocess, for tests and benchmarks that need real HTTP, several
worker processes or a browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SOUK = Path(sys.executable).with_name("souk")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(process: subprocess.Popen[bytes], url: str, timeout_s: float) -> None:
    """Poll `url` until it answers 200; fail at once if the server exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"the server exited with {process.returncode}:\n{stderr}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout_s} s")
        time.sleep(0.1)  # polling for readiness, not synchronising on a guess


@dataclass(frozen=True)
class LiveServer:
    url: str
    admin_key: str
    process: subprocess.Popen[bytes]


@contextmanager
def live_server(
    database_url: str,
    admin_key: str,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    ready_timeout_s: float = 180.0,
) -> Iterator[LiveServer]:
    """Start `souk serve`, wait until /readyz answers 200, stop it on exit."""
    port = free_port()
    process_env = {
        **os.environ,
        "SOUK_DATABASE_URL": database_url,
        "SOUK_BOOTSTRAP_ADMIN_KEY": admin_key,
        "SOUK_SECRET_KEY": "live-server-secret-key-0123456789abcdef",
        "SOUK_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    process = subprocess.Popen(
        [str(SOUK), "serve", "--port", str(port), "--workers", str(workers)],
        env=process_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, url + "/readyz", ready_timeout_s)
        yield LiveServer(url=url, admin_key=admin_key, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
