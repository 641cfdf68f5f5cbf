"""The pure rules of webhooks: the retry schedule with jitter and Retry-After, which
addresses are public, what a payload keeps, and that every emitted event can be asked for."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from souk.webhooks.models import (
    EVENT_NAMES,
    JITTER,
    MAX_RETRY_AFTER_S,
    SPEC_SCHEDULE_S,
    address_is_public,
    object_key,
    parse_retry_after,
    retry_delay,
    slim_payload,
    unknown_events,
)

SRC = Path(__file__).resolve().parents[3] / "src" / "souk"


@given(
    attempts=st.integers(min_value=1, max_value=len(SPEC_SCHEDULE_S)),
    seed=st.integers(),
    retry_after=st.none() | st.floats(min_value=0, max_value=10 * MAX_RETRY_AFTER_S),
)
def test_a_retry_waits_the_schedule_within_jitter_or_longer_when_asked(
    attempts: int, seed: int, retry_after: float | None
) -> None:
    delay = retry_delay(
        attempts=attempts,
        schedule=SPEC_SCHEDULE_S,
        retry_after_s=retry_after,
        rng=random.Random(seed),
    )
    assert delay is not None
    base = SPEC_SCHEDULE_S[attempts - 1]
    low, high = base * (1 - JITTER), base * (1 + JITTER)
    if retry_after is not None:
        asked = min(retry_after, MAX_RETRY_AFTER_S)
        low, high = max(low, asked), max(high, asked)
    assert low - 1e-6 <= delay.total_seconds() <= high + 1e-6


@given(attempts=st.integers(min_value=len(SPEC_SCHEDULE_S) + 1, max_value=1000))
def test_after_the_schedule_a_delivery_is_given_up(attempts: int) -> None:
    assert retry_delay(attempts=attempts, schedule=SPEC_SCHEDULE_S) is None


def test_the_schedule_is_the_specs_and_spans_over_a_day() -> None:
    assert SPEC_SCHEDULE_S == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert sum(SPEC_SCHEDULE_S) > 24 * 3600


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after("Wed, 02 Dec 2026 06:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::6810:85e5", True),
        ("127.0.0.1", False),
        ("127.5.5.5", False),
        ("::1", False),
        ("10.0.0.1", False),
        ("172.16.3.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("fc00::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
        ("198.18.0.1", False),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert address_is_public(address) is public


def test_every_event_the_code_emits_can_be_subscribed_to() -> None:
    emitted: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        emitted |= set(re.findall(r"emit\(\s*\"([a-z_]+\.[a-z_]+)\"", text))
        emitted |= set(re.findall(r"\n\s+\"([a-z_]+\.[a-z_]+ed)\",\n\s+\{", text))
    assert emitted, "no emitted event found: the pattern is out of date"
    assert unknown_events(sorted(emitted)) == []
    assert unknown_events(["*", "order.placed", "order.exploded"]) == ["order.exploded"]
    assert "order.placed" in EVENT_NAMES


def test_a_payload_keeps_ids_and_scalars_and_links_the_object() -> None:
    payload = {
        "order_id": "ord_1",
        "status": "ready",
        "total": {"amount": 1200, "currency": "JPY"},
        "lines": [{"sku": "A"}],
        "note": "x" * 1000,
    }
    data = slim_payload("fulfillment_order.ready", payload, base_url="https://api.example/")
    assert data == {
        "order_id": "ord_1",
        "status": "ready",
        "total": {"amount": 1200, "currency": "JPY"},
        "url": "https://api.example/v1/orders/ord_1",
    }
    assert object_key("fulfillment_order.ready", payload) == "order:ord_1"
    assert object_key("product.updated", {"id": "prod_9"}) == "product:prod_9"
    assert object_key("prices.changed", {"skus": ["A"]}) == "prices:*"


@given(
    st.dictionaries(
        st.text(max_size=10),
        st.recursive(
            st.none() | st.integers() | st.text(),
            lambda c: st.lists(c) | st.dictionaries(st.text(max_size=5), c),
            max_leaves=8,
        ),
    )
)
def test_a_slim_payload_never_carries_a_list_or_a_long_string(payload: dict[str, object]) -> None:
    data = slim_payload("order.placed", payload, base_url="https://x")
    for key, value in data.items():
        assert not isinstance(value, list)
        if isinstance(value, str) and key != "url":
            assert len(value) <= 200


def test_retry_delays_are_timedeltas() -> None:
    assert retry_delay(attempts=1, schedule=[0.0]) == timedelta(0)
