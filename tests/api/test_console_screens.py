"""The console's screens over HTTP, on both back ends: each reads and acts through the same
services as the API, so what a screen does is checked through the API."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from souk.db.engine import Database
from tests.console_factories import csrf_of, make_staff, signed_in
from tests.fulfilment_factories import FrenchShop, french_shop


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def _fo_status(fr: FrenchShop, fo_id: str) -> str:
    return str(fr.admin.get(f"/v1/fulfillment-orders/{fo_id}").json()["status"])


def test_orders_are_listed_filtered_and_each_has_its_timeline(fr: FrenchShop, db: Database) -> None:
    shipped = fr.web_order(("TEE-M", 1))
    pickup = fr.web_order(("CAP", 1), pickup="store-paris")
    signed_in(fr.admin, make_staff(db, "operations"))

    listed = fr.admin.get("/admin/orders").text
    assert listed.index(pickup["number"]) < listed.index(shipped["number"])  # newest first
    assert "2 orders on this page" in listed
    assert "No order matches" in fr.admin.get("/admin/orders?channel=pos-paris").text
    partial = fr.admin.get("/admin/orders?status=placed", headers={"HX-Request": "true"}).text
    assert "<html" not in partial and shipped["number"] in partial  # htmx gets the table only

    detail = fr.admin.get(f"/admin/orders/{shipped['id']}").text
    timeline = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', detail, re.S)
    assert timeline and "placed" in timeline.group(1)
    assert shipped["fulfillment_orders"][0]["id"] in detail
    opened = fr.admin.get("/admin/orders", params={"order": shipped["id"]}, follow_redirects=False)
    assert opened.headers["location"] == f"/admin/orders/{shipped['id']}"
    missing = fr.admin.get("/admin/orders/ord_missing")
    assert missing.status_code == 404 and "No order &#39;ord_missing&#39;" in missing.text


def test_a_fulfilment_order_is_accepted_packed_and_shipped(fr: FrenchShop, db: Database) -> None:
    order = fr.web_order(("TEE-M", 1))
    (fo,) = order["fulfillment_orders"]
    csrf = signed_in(fr.admin, make_staff(db, "operations"))
    queue = fr.admin.get("/admin/fulfilment?location=store-paris").text
    assert f'id="fo-{fo["id"]}"' in queue and f"/admin/fulfilment/{fo['id']}/accept" in queue

    base = {"csrf_token": csrf, "location": "store-paris"}
    for action, status in [("accept", "accepted"), ("pack", "packed")]:
        done = fr.admin.post(f"/admin/fulfilment/{fo['id']}/{action}", data=base,
                             follow_redirects=False)  # fmt: skip
        assert done.headers["location"] == f"/admin/fulfilment?done={action}&location=store-paris"
        assert _fo_status(fr, fo["id"]) == status
    shipped = fr.admin.post(
        f"/admin/fulfilment/{fo['id']}/ship",
        data={**base, "carrier": "laposte", "tracking_number": "LP123FR"},
    )
    assert "Done: ship." in shipped.text
    answer = fr.admin.get(f"/v1/fulfillment-orders/{fo['id']}").json()
    assert answer["status"] == "shipped"
    assert [(s["carrier"], s["tracking_number"]) for s in answer["shipments"]] == [
        ("laposte", "LP123FR")
    ]
    assert "laposte LP123FR" in fr.admin.get(f"/admin/orders/{order['id']}").text


def test_a_ship_form_without_its_fields_shows_the_errors_and_changes_nothing(
    fr: FrenchShop, db: Database
) -> None:
    (fo,) = fr.web_order(("TEE-M", 1))["fulfillment_orders"]
    csrf = signed_in(fr.admin, make_staff(db, "admin"))
    fr.admin.post(f"/admin/fulfilment/{fo['id']}/accept", data={"csrf_token": csrf})
    refused = fr.admin.post(
        f"/admin/fulfilment/{fo['id']}/ship",
        data={"csrf_token": csrf, "carrier": "", "tracking_number": ""},
    )
    assert refused.status_code == 422
    assert "<strong>carrier</strong>" in refused.text
    assert "<strong>tracking_number</strong>" in refused.text
    assert "Traceback" not in refused.text
    assert _fo_status(fr, fo["id"]) == "accepted"
    # An action the state machine does not allow now says what is possible instead.
    wrong = fr.admin.post(f"/admin/fulfilment/{fo['id']}/accept", data={"csrf_token": csrf})
    assert wrong.status_code == 409 and "possible now" in wrong.text


def test_a_store_manager_never_sees_another_stores_queue(fr: FrenchShop, db: Database) -> None:
    (paris_fo,) = fr.web_order(("TEE-M", 1))["fulfillment_orders"]
    assert paris_fo["location"] == "store-paris"
    csrf = signed_in(fr.admin, make_staff(db, "store_manager", stores=("store-lyon",)))

    own = fr.admin.get("/admin/fulfilment")
    assert own.status_code == 200 and "Queue of store-lyon" in own.text
    assert paris_fo["id"] not in own.text
    other = fr.admin.get("/admin/fulfilment?location=store-paris")
    assert other.status_code == 403 and paris_fo["id"] not in other.text
    assert "You manage store-lyon, not store-paris" in other.text
    for location in ("store-lyon", "store-paris", ""):
        acted = fr.admin.post(
            f"/admin/fulfilment/{paris_fo['id']}/accept",
            data={"csrf_token": csrf, "location": location},
        )
        assert acted.status_code == 403
    assert _fo_status(fr, paris_fo["id"]) == "open"
    assert fr.admin.get("/admin/orders").status_code == 403


def test_a_post_without_csrf_token_moves_no_fulfilment_order(fr: FrenchShop, db: Database) -> None:
    (fo,) = fr.web_order(("TEE-M", 1))["fulfillment_orders"]
    signed_in(fr.admin, make_staff(db, "admin"))
    refused = fr.admin.post(f"/admin/fulfilment/{fo['id']}/accept", data={"location": ""})
    assert refused.status_code == 403
    assert _fo_status(fr, fo["id"]) == "open"


def test_counts_and_transfers_go_through_the_inventory_services(
    fr: FrenchShop, db: Database
) -> None:
    csrf = signed_in(fr.admin, make_staff(db, "operations"))
    counted = fr.admin.post(
        "/admin/inventory/movements",
        data={"csrf_token": csrf, "sku": "MUG", "location": "store-lyon", "type": "count",
              "quantity": "7", "reason": "cycle count"},
    )  # fmt: skip
    assert "Count recorded." in counted.text
    assert fr.on_hand("MUG", "store-lyon") == 7
    ledger = re.search(r'<table id="ledger">(.*?)</table>', counted.text, re.S)
    assert ledger and "cycle count" in ledger.group(1)
    moved = fr.admin.post(
        "/admin/inventory/transfers",
        data={"csrf_token": csrf, "sku": "TEE-M", "from": "wh-marseille", "to": "store-lyon",
              "quantity": "2"},
    )  # fmt: skip
    assert "Transfer requested." in moved.text
    bad = fr.admin.post(
        "/admin/inventory/movements",
        data={"csrf_token": csrf, "sku": "MUG", "location": "store-lyon", "type": "count",
              "quantity": "many"},
    )  # fmt: skip
    assert bad.status_code == 422 and "<strong>quantity</strong>" in bad.text
    assert 'value="many"' in bad.text  # the form keeps what was typed
    assert fr.on_hand("MUG", "store-lyon") == 7


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    location=st.sampled_from(["store-lyon", "nowhere", "", "store-lyon\x00", "x" * 100]),
    kind=st.sampled_from(["count", "adjustment", "sale", "", "damage"]),
    quantity=st.one_of(st.integers(-(10**12), 10**12).map(str), st.text(max_size=12)),
)
def test_any_movement_form_is_applied_whole_or_refused_in_the_page(
    fr: FrenchShop, db: Database, location: str, kind: str, quantity: str
) -> None:
    if "souk_staff" not in fr.admin.cookies:  # the first example signs in
        signed_in(fr.admin, make_staff(db, "admin"))
    csrf = csrf_of(fr.admin.get("/admin/inventory").text)
    before = fr.on_hand("MUG", "store-lyon")
    answer = fr.admin.post(
        "/admin/inventory/movements",
        data={"csrf_token": csrf, "sku": "MUG", "location": location, "type": kind,
              "quantity": quantity},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code in (303, 404, 409, 422), answer.text
    assert answer.headers.get("content-type", "text/html").startswith("text/html")
    if answer.status_code != 303:
        assert fr.on_hand("MUG", "store-lyon") == before
        assert 'class="error"' in answer.text


def test_a_store_manager_sees_and_counts_only_their_stores_stock(
    fr: FrenchShop, db: Database
) -> None:
    csrf = signed_in(fr.admin, make_staff(db, "store_manager", stores=("store-paris",)))
    page = fr.admin.get("/admin/inventory?sku=TEE-M").text
    stock = re.search(r'<table id="stock">(.*?)</table>', page, re.S)
    assert stock and "store-paris" in stock.group(1)
    assert "wh-marseille" not in stock.group(1) and "wh-marseille" not in page
    assert "Request transfer" not in page
    refused = fr.admin.post(
        "/admin/inventory/movements",
        data={"csrf_token": csrf, "sku": "TEE-M", "location": "wh-marseille", "type": "count",
              "quantity": "0"},
    )  # fmt: skip
    assert refused.status_code == 403
    assert fr.on_hand("TEE-M", "wh-marseille") == 10
    transfer = fr.admin.post(
        "/admin/inventory/transfers",
        data={"csrf_token": csrf, "sku": "TEE-M", "from": "wh-marseille", "to": "store-paris",
              "quantity": "1"},
    )  # fmt: skip
    assert transfer.status_code == 403
