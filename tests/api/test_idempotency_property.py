"""Invariant 4 as a property, on both back ends: whatever sequence of keyed requests a client
sends — retries, reused keys with other bodies, answers lost after the commit — each key takes
effect once, with its first body, and every retry of it answers exactly the first answer."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from souk.api.idempotency_store import IdempotencyStore
from tests.catalog_factories import make_product
from tests.integration.inventory.factories import api_location

RUNS = itertools.count()
KEEP = IdempotencyStore.store  # the real one: examples patch it afresh, never on a patch
Step = tuple[int, int, bool]  # (key, quantity, the server loses this answer)


@pytest.fixture
def stocked(admin: TestClient) -> TestClient:
    make_product(admin, "tee", skus=("TEE-M",))
    api_location(admin, "wh-1")
    return admin


def _on_hand(admin: TestClient) -> int:
    rows = admin.get("/v1/inventory/TEE-M").json()["locations"]
    return sum(int(r["on_hand"]) for r in rows)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3), st.booleans()), max_size=12))
def test_each_key_takes_effect_once_with_its_first_body(
    stocked: TestClient, monkeypatch: pytest.MonkeyPatch, steps: list[Step]
) -> None:
    run = next(RUNS)  # the database lives across examples: each example has keys of its own
    lose_next = False

    def maybe_lossy(self: IdempotencyStore, *args: Any) -> bool:
        return True if lose_next and args[2] is not None else KEEP(self, *args)

    monkeypatch.setattr(IdempotencyStore, "store", maybe_lossy)
    start = _on_hand(stocked)
    first: dict[int, tuple[int, Any]] = {}
    for key, quantity, lost in steps:
        lose_next = lost
        body = {"sku": "TEE-M", "location": "wh-1", "type": "receipt", "quantity": quantity}
        answer = stocked.post(
            "/v1/inventory/movements", json=body, headers={"Idempotency-Key": f"r{run}-k{key}"}
        )
        if key not in first:
            assert answer.status_code == 201, answer.text
            assert "idempotent-replayed" not in answer.headers
            first[key] = (quantity, answer.json())
        elif first[key][0] == quantity:
            assert answer.status_code == 201, answer.text
            assert answer.headers["idempotent-replayed"] == "true"
            assert answer.json() == first[key][1]
        else:
            assert answer.status_code == 422
            assert answer.json()["type"].endswith("/idempotency-key-reused")
    assert _on_hand(stocked) == start + sum(q for q, _ in first.values())
