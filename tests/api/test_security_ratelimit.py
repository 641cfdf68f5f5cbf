"""Rate limits and sign-in lockout, on the in-process store and on Redis.

Time is moved on by hand on the in-process store (no sleeps); on Redis the tests check what
only Redis gives: counters shared by two app instances (two workers). Redis tests skip with
the reason when 127.0.0.1:6379 is unreachable, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from souk.api.ratelimit import MemoryStore, RedisStore
from souk.app import create_app
from souk.customers.lockout import SignInGuard
from souk.settings import Settings
from tests.catalog_factories import make_channel
from tests.conftest import ADMIN_KEY, IN_CI
from tests.support.account_mail import open_account
from tests.support.clock import ManualClock

REDIS_URL = os.environ.get("SOUK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except (redis.RedisError, OSError) as exc:
        reason = f"Redis at {REDIS_URL} is unreachable: {exc.__class__.__name__}"
        if IN_CI:
            pytest.fail(reason + " (CI=true: Redis tests must run)")
        pytest.skip(reason)


@pytest.fixture(params=["memory", "redis"])
def store_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        _redis_or_skip()
    return str(request.param)


def _settings(base: Settings, kind: str, **limits: Any) -> Settings:
    return base.model_copy(
        update={
            "rate_limit_enabled": True,
            "rate_limit_exempt": [],
            "redis_url": REDIS_URL if kind == "redis" else None,
            # Redis is shared by every test and test process: each test counts apart.
            "redis_prefix": f"souk-test-{secrets.token_hex(6)}:",
            **limits,
        }
    )


@pytest.fixture
def limited(settings: Settings, store_kind: str) -> Iterator[TestClient]:
    """The app with rate limits on, called from a client address of its own."""
    app = create_app(_settings(settings, store_kind))
    with TestClient(app, client=(_ip(), 4000)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        yield client


def _ip() -> str:
    # A fresh address per test: Redis is shared by every test process.
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def _storefront(admin: TestClient, ip: str | None = None) -> TestClient:
    make_channel(admin, "web")
    key = admin.post("/v1/api-keys", json={"name": "w", "role": "storefront", "channel": "web"})
    assert key.status_code == 201, key.text
    return TestClient(
        admin.app, client=(ip or _ip(), 5000), headers={"X-Publishable-Key": key.json()["key"]}
    )


def _assert_429(response: Any) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://souk.dev/problems/rate-limited"
    retry = int(response.headers["retry-after"])
    assert retry >= 1
    assert body["retry_after_s"] == retry
    return retry


def test_a_burst_of_carts_from_one_client_is_cut_at_the_limit(limited: TestClient) -> None:
    # Given the default limit of 60 carts a minute per client address
    shop = _storefront(limited)
    # When one client creates 80 carts at once
    answers = [shop.post("/v1/carts", json={}).status_code for _ in range(80)]
    # Then the first 60 are created and the rest are refused with 429 and Retry-After
    assert answers[:60] == [201] * 60
    assert set(answers[60:]) == {429}
    retry = _assert_429(shop.post("/v1/carts", json={}))
    assert retry <= 60
    # And another client is not affected
    other = TestClient(limited.app, client=(_ip(), 1), headers=dict(shop.headers))
    assert other.post("/v1/carts", json={}).status_code == 201


def test_fifty_wrong_passwords_lock_the_account_and_the_right_one_waits(
    settings: Settings, store_kind: str
) -> None:
    app = create_app(_settings(settings, store_kind, rate_limit_signin_ip="1000/900"))
    with TestClient(app, client=(_ip(), 1), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as a:
        shop = _storefront(a)
        email = f"anne-{secrets.token_hex(4)}@example.com"
        open_account(shop, email, PASSWORD)
        wrong = {"email": email, "password": "guess"}
        statuses = [shop.post("/v1/customers/login", json=wrong).status_code for _ in range(50)]
        # the first 5 wrong passwords are checked (401), then the account is locked (429);
        # a lock of 1 s, 2 s, 4 s… may run out between two requests on a slow machine, so a
        # few more get checked, each one doubling the next lock
        assert statuses[:5] == [401] * 5
        assert statuses.count(401) <= 10
        assert statuses.count(429) >= 40
        assert set(statuses[5:]) <= {401, 429}
        # On a busy machine the last lock may be down to its last second. Wait it out and
        # guess once more: that guess is checked again (401) and locks twice as long.
        lock = SignInGuard._lock_key(email)
        while (left_ms := app.state.rate_store.ttl_ms(lock)) < 3000:
            time.sleep(left_ms / 1000 + 0.05)
            assert shop.post("/v1/customers/login", json=wrong).status_code == 401
        right = shop.post("/v1/customers/login", json={"email": email, "password": PASSWORD})
        _assert_429(right)
        # from another address too: the lock is on the account
        elsewhere = TestClient(app, client=(_ip(), 2), headers=dict(shop.headers))
        _assert_429(
            elsewhere.post("/v1/customers/login", json={"email": email, "password": PASSWORD})
        )


def test_the_lockout_is_progressive_capped_and_cleared_by_a_success(
    settings: Settings,
) -> None:
    app = create_app(_settings(settings, "memory", rate_limit_signin_ip="1000/900"))
    clock = ManualClock()
    store = app.state.rate_store
    assert isinstance(store, MemoryStore)
    store.clock = clock
    with TestClient(app, client=(_ip(), 1), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as a:
        shop = _storefront(a)
        email = "anne@example.com"
        open_account(shop, email, PASSWORD)
        wrong = {"email": email, "password": "guess"}
        right = {"email": email, "password": PASSWORD}
        delays = []
        for _ in range(40):
            response = shop.post("/v1/customers/login", json=wrong)
            if response.status_code == 429:
                delays.append(int(response.headers["retry-after"]))
                clock.now += delays[-1]  # the attacker waits out each delay, then guesses
        # each wait doubles from 1 s, and never exceeds the cap (300 s by default)
        assert delays[:8] == [1, 2, 4, 8, 16, 32, 64, 128]
        assert max(delays) == 300
        # the real customer is kept out at most the cap, then signs in, which clears it all
        clock.now += 300
        assert shop.post("/v1/customers/login", json=right).status_code == 200
        assert shop.post("/v1/customers/login", json=wrong).status_code == 401
        assert shop.post("/v1/customers/login", json=right).status_code == 200


def test_an_unknown_email_is_locked_just_like_a_known_one(settings: Settings) -> None:
    # the lock says nothing about which emails have accounts
    app = create_app(_settings(settings, "memory"))
    with TestClient(app, client=(_ip(), 1), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as a:
        shop = _storefront(a)
        open_account(shop, "k@example.com", PASSWORD)
        for email in ("k@example.com", "nobody@example.com"):
            statuses = [
                shop.post("/v1/customers/login", json={"email": email, "password": "x"}).status_code
                for _ in range(7)
            ]
            assert statuses == [401] * 5 + [429] * 2, email


def test_one_address_guessing_many_accounts_is_stopped(settings: Settings, store_kind: str) -> None:
    app = create_app(_settings(settings, store_kind, rate_limit_signin_ip="10/900"))
    with TestClient(app, client=(_ip(), 1), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as a:
        shop = _storefront(a)
        for i in range(10):
            body = {"email": f"v{i}-{secrets.token_hex(3)}@example.com", "password": "x"}
            assert shop.post("/v1/customers/login", json=body).status_code == 401
        blocked = shop.post("/v1/customers/login", json={"email": "w@example.com", "password": "x"})
        _assert_429(blocked)
        other = TestClient(app, client=(_ip(), 2), headers=dict(shop.headers))
        answer = other.post("/v1/customers/login", json={"email": "w@example.com", "password": "x"})
        assert answer.status_code == 401


def test_registrations_per_address_are_limited(settings: Settings, store_kind: str) -> None:
    app = create_app(_settings(settings, store_kind, rate_limit_register="3/3600"))
    with TestClient(app, client=(_ip(), 1), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as a:
        shop = _storefront(a)
        tag = secrets.token_hex(3)
        answers = [
            shop.post(
                "/v1/customers/register",
                json={"email": f"r{i}-{tag}@example.com", "password": PASSWORD},
            ).status_code
            for i in range(5)
        ]
        assert answers == [202, 202, 202, 429, 429]


def test_a_key_is_limited_across_addresses(settings: Settings, store_kind: str) -> None:
    app = create_app(_settings(settings, store_kind, rate_limit_per_credential="5/60"))
    with TestClient(app, client=(_ip(), 1), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as a:
        answers = [
            TestClient(app, client=(_ip(), 1), headers=dict(a.headers))
            .get("/v1/channels")
            .status_code
            for _ in range(7)
        ]
        assert answers == [200] * 5 + [429] * 2


def test_requests_per_address_are_limited_on_every_route(settings: Settings) -> None:
    app = create_app(_settings(settings, "memory", rate_limit_per_ip="5/60"))
    with TestClient(app, client=(_ip(), 1)) as anonymous:
        answers = [anonymous.get("/v1/channels").status_code for _ in range(7)]
        assert answers == [401] * 5 + [429] * 2


def test_loopback_is_exempt_by_default_and_the_app_says_so(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="souk.app")
    defaults = settings.model_copy(update={"rate_limit_enabled": True, "rate_limit_carts": "2/60"})
    app = create_app(defaults)
    assert "not counted from 127.0.0.1/32, ::1/128" in caplog.text
    with TestClient(app, client=("127.0.0.1", 1)) as local:
        local.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        shop = _storefront(local, ip="127.0.0.1")
        assert [shop.post("/v1/carts", json={}).status_code for _ in range(5)] == [201] * 5


def test_two_workers_share_the_counters_through_redis(settings: Settings) -> None:
    _redis_or_skip()
    limited = _settings(settings, "redis", rate_limit_per_ip="6/60")  # one prefix for both
    ip = _ip()
    first, second = create_app(limited), create_app(limited)
    assert isinstance(first.state.rate_store, RedisStore)
    with TestClient(first, client=(ip, 1)) as one, TestClient(second, client=(ip, 2)) as two:
        answers = [(one if i % 2 else two).get("/healthz").status_code for i in range(8)]
    assert answers == [200] * 6 + [429] * 2


def test_an_unreachable_redis_lets_requests_through(settings: Settings) -> None:
    broken = _settings(
        settings, "redis", redis_url="redis://127.0.0.1:1/0", rate_limit_per_ip="1/60"
    )
    with TestClient(create_app(broken), client=(_ip(), 1)) as client:
        assert [client.get("/healthz").status_code for _ in range(3)] == [200] * 3
