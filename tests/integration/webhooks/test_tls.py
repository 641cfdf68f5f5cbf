"""Over HTTPS, on both back ends: the request connects to the address checked against the
SSRF guard, and still sends the URL's host as TLS server name and verifies the
certificate against it — a certificate for another name is refused."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from souk.webhooks import worker as worker_module
from tests.integration.webhooks.conftest import Hooks
from tests.support.receivers import receiving
from tests.support.tls import Tls, certificate_for

HOST = "hooks.example"
READY = "fulfillment_order.ready"


@pytest.fixture
def resolving(monkeypatch: pytest.MonkeyPatch) -> None:
    """`hooks.example` resolves to the loopback (as if its DNS said so)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == HOST else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _trusting(monkeypatch: pytest.MonkeyPatch, tls: Tls) -> None:
    # The worker verifies against the CA bundle; here, against the test's own authority.
    monkeypatch.setattr(worker_module, "_tls", lambda: tls.client)


@pytest.mark.usefixtures("resolving")
def test_tls_names_and_verifies_the_urls_host_at_the_pinned_address(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tls = certificate_for(HOST, tmp_path)
    server_names: list[str | None] = []
    tls.server.sni_callback = lambda _sock, name, _ctx: server_names.append(name)  # type: ignore[assignment,misc]
    _trusting(monkeypatch, tls)
    with receiving(tls=tls.server, host=HOST) as receiver:
        endpoint = hooks.endpoint(receiver.url, [READY])
        hooks.emit(READY, {"order_id": "ord_1"})
        assert hooks.deliver() == 1
        (got,) = receiver.wait_for(1)
    assert server_names == [HOST]
    assert got.headers["host"] == f"{HOST}:{receiver.port}"
    (delivery,) = hooks.deliveries(endpoint["id"])
    assert delivery["status"] == "succeeded"


@pytest.mark.usefixtures("resolving")
def test_a_certificate_for_another_name_is_refused(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tls = certificate_for("other.example", tmp_path)
    _trusting(monkeypatch, tls)
    with receiving(tls=tls.server, host=HOST) as receiver:
        endpoint = hooks.endpoint(receiver.url, [READY])
        hooks.emit(READY, {"order_id": "ord_1"})
        assert hooks.deliver() == 1
        assert receiver.requests == []
    (delivery,) = hooks.deliveries(endpoint["id"])
    assert delivery["status"] == "pending" and delivery["last_status_code"] is None
    assert delivery["last_error"] == f"SSLError: hostname '{HOST}' doesn't match 'other.example'"
