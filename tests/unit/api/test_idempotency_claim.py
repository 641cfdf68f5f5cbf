"""Whose key it is, and the heartbeat that keeps a running request's claim alive."""

from __future__ import annotations

import threading
from datetime import timedelta

import anyio
import anyio.to_thread

from souk.api.idempotency_claim import Heartbeat, caller_scope
from souk.customers.tokens import TokenSigner
from souk.db.base import utcnow

SIGNER = TokenSigner("a-secret-for-unit-tests-0123456789abcdef", 3600)
PK = {b"x-publishable-key": b"pk_web"}


def bearer(credential: str) -> dict[bytes, bytes]:
    return {b"authorization": f"Bearer {credential}".encode()}


def test_a_customer_has_one_namespace_whichever_token_they_send() -> None:
    one = SIGNER.issue("cus_1").token
    two = SIGNER.issue("cus_1", now=utcnow() - timedelta(minutes=5)).token
    assert one != two
    other = SIGNER.issue("cus_2").token
    path = "/v1/carts/cart_1/lines"
    assert caller_scope(path, {**PK, **bearer(one)}, SIGNER) == caller_scope(
        "/v1/carts/cart_9/checkout", {**PK, **bearer(two)}, SIGNER
    )
    assert caller_scope(path, {**PK, **bearer(one)}, SIGNER) != caller_scope(
        path, {**PK, **bearer(other)}, SIGNER
    )


def test_an_anonymous_shopper_is_scoped_to_the_cart_and_the_channel_key() -> None:
    a = caller_scope("/v1/carts/cart_a/checkout", PK, SIGNER)
    assert a is not None
    assert a == caller_scope("/v1/carts/cart_a", PK, SIGNER)
    assert a != caller_scope("/v1/carts/cart_b/checkout", PK, SIGNER)
    assert a != caller_scope("/v1/carts/cart_a/checkout", {b"x-publishable-key": b"pk_app"}, SIGNER)


def test_an_anonymous_call_without_a_cart_has_no_scope() -> None:
    assert caller_scope("/v1/carts", PK, SIGNER) is None
    assert caller_scope("/v1/customers/register", PK, SIGNER) is None
    assert caller_scope("/v1/inventory/movements", {}, SIGNER) is None


def test_each_api_key_and_each_unverifiable_token_is_a_namespace_of_its_own() -> None:
    path = "/v1/inventory/movements"
    scopes = {caller_scope(path, bearer(c), SIGNER) for c in ("sk_a", "sk_b", "x.y.z", "x.y.w")}
    assert len(scopes) == 4
    assert None not in scopes


def test_the_heartbeat_renews_until_it_is_cancelled() -> None:
    renewals: list[int] = []
    three = threading.Event()

    def renew() -> None:
        renewals.append(1)
        if len(renewals) == 3:
            three.set()

    async def run() -> None:
        beat = Heartbeat(renew, 0.01, set())
        assert await anyio.to_thread.run_sync(three.wait, 10)
        beat.cancel()

    # In a thread of its own: an earlier test in the same process may have left this
    # thread's event loop marked as running, and anyio.run refuses to start in it then.
    failures: list[BaseException] = []

    def main() -> None:
        try:
            anyio.run(run)
        except BaseException as exc:  # reported below, in the test's own thread
            failures.append(exc)

    worker = threading.Thread(target=main)
    worker.start()
    worker.join(30)
    assert not worker.is_alive() and failures == []
    assert len(renewals) >= 3
