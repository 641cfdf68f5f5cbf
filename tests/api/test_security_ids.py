"""Ids that act as capabilities are unguessable; the others stay sortable by creation time."""

from __future__ import annotations

import re
from collections import Counter

from fastapi.testclient import TestClient

from souk.db.base import new_capability_id, new_id
from tests.catalog_factories import make_channel


def test_an_anonymous_cart_id_carries_128_random_bits(admin: TestClient) -> None:
    make_channel(admin, "web")
    key = admin.post("/v1/api-keys", json={"name": "w", "role": "storefront", "channel": "web"})
    shop = TestClient(admin.app, headers={"X-Publishable-Key": key.json()["key"]})
    ids = [shop.post("/v1/carts", json={}).json()["id"] for _ in range(3)]
    for cart_id in ids:
        # cart_ + 11 hex digits of milliseconds + 22 base-62 characters (log2(62**22) > 130)
        assert re.fullmatch(r"cart_[0-9a-f]{11}[0-9A-Za-z]{22}", cart_id), cart_id
        assert len(cart_id) <= 40
        assert shop.get(f"/v1/carts/{cart_id}").status_code == 200
    assert len(set(ids)) == 3


def test_capability_ids_are_spread_over_the_whole_alphabet_and_never_repeat() -> None:
    randoms = [new_capability_id("cart")[16:] for _ in range(5000)]
    assert len(set(randoms)) == len(randoms)
    # every position but the last takes nearly all of the 62 characters: no position is
    # fixed or biased towards a few values (the last holds what is left of 128 bits: 0-7)
    for position in range(21):
        seen = Counter(r[position] for r in randoms)
        assert len(seen) == 62, position
        assert max(seen.values()) < 5000 / 62 * 2


def test_plain_ids_stay_sortable_by_creation_time() -> None:
    first = new_id("ord")
    ids = [new_id("ord") for _ in range(50)]
    assert all(i[:15] >= first[:15] for i in ids)
    assert new_capability_id("cart")[:16] >= "cart_" + first[4:15]
