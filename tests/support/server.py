"""A real `souk serve` in a subprocess, for tests and benchmarks that need real HTTP, several
worker processes or a browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

SOUK = Path(sys.executable).with_name("souk")
# Each running server's log file, by pid, so that a server that exits early shows its log.
_STDERR: dict[int, IO[bytes]] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(process: subprocess.Popen[bytes], url: str, timeout_s: float) -> None:
    """Poll `url` until it answers 200; fail at once if the server exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            stderr = ""
            log_file = _STDERR.get(process.pid)
            if log_file is not None:
                log_file.seek(0)
                stderr = log_file.read().decode(errors="replace")
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
    # The server's log goes to a file, never to a pipe nobody reads: a full pipe blocks the
    # server's event loop at its next log line (seen as every request hanging after a burst
    # of warnings while the database was down).
    log_file = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    process = subprocess.Popen(
        [str(SOUK), "serve", "--port", str(port), "--workers", str(workers)],
        env=process_env,
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    _STDERR[process.pid] = log_file
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
        _STDERR.pop(process.pid, None)
        log_file.close()
