"""Real HTTP receivers for webhook tests and benchmarks: a threaded HTTP server on the
loopback that records every request and answers as its script says."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # How long the receiver takes to answer (a slow endpoint), not test synchronisation.
    delay_s: float = 0.0
    body: bytes = b"ok"


# Decides the reply to the n-th request (0-based) given what arrived.
Script = Callable[[int, Received], Reply]


class _QuietServer(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of new connections (two workers'
    # batches at once) overflows it, the kernel drops the handshake, and the sender's SYN is
    # retransmitted a second later — past a 1 s webhook timeout, although the request then
    # arrives and is counted, so the timed-out attempt is rightly sent again. Real receivers
    # listen with a backlog in the hundreds (nginx 511).
    request_queue_size = 512

    def handle_error(self, request: object, client_address: object) -> None:
        # A sender closing its idle keep-alive connection is not an error of the receiver.
        pass


class Receiver:
    def __init__(
        self, script: Script | None = None, *, tls: ssl.SSLContext | None = None, host: str = ""
    ) -> None:
        self.script: Script = script or (lambda n, r: Reply())
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                got = Received(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                with receiver._lock:
                    n = len(receiver.requests)
                    receiver.requests.append(got)
                    receiver._arrived.notify_all()
                reply = receiver.script(n, got)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up (its timeout)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:  # HTTPS, the handshake on each accepted connection
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = int(self._server.server_address[1])
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://{host or '127.0.0.1'}:{self.port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Received]:
        """Block until `count` requests arrived (a condition, not a sleep)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout_s):
                raise TimeoutError(f"{len(self.requests)} of {count} requests arrived")
            return list(self.requests)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def receiving(
    script: Script | None = None, *, tls: ssl.SSLContext | None = None, host: str = ""
) -> Iterator[Receiver]:
    """A receiver until the block ends; with `tls`, over HTTPS, its URL naming `host`."""
    receiver = Receiver(script, tls=tls, host=host)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


def replies(*sequence: Reply) -> Script:
    """These replies in turn, then 200 for every later request."""
    return lambda n, _: sequence[n] if n < len(sequence) else Reply()
