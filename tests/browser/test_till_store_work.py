"""The till's other work in a real browser: an online order handed over with its pickup
code, then returned at the till and refunded; a transfer on its way; an endless-aisle sale
routed to the warehouse; every screen accessible, nothing from another host."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.business import SHIRT_S, pickup_order, seed
from tests.browser.pages_support import Watch, serious_violations
from tests.conftest import ADMIN_KEY
from tests.support.server import live_server


def _open_till(page: Page, url: str, key: str) -> None:
    page.goto(url + "/pos/")
    page.get_by_label("POS key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)


def test_the_till_hands_over_takes_returns_ships_from_elsewhere_and_sees_transfers(
    browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    with live_server(f"sqlite:///{tmp_path}/souk.sqlite3", ADMIN_KEY) as server:
        business = seed(server.url, ADMIN_KEY)
        admin = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60
        )
        order, code = pickup_order(server.url)
        transfer = admin.post(
            "/v1/inventory/transfers",
            json={"sku": "CB-1", "from": "wh-1", "to": "store-paris", "quantity": 6},
        ).json()
        page = browser.new_page(viewport={"width": 390, "height": 844})
        watch = Watch(page)
        _open_till(page, server.url, business.pos_key)

        # click & collect: a wrong code is refused in the page, the right one hands it over
        page.get_by_role("button", name="Click & collect", exact=True).click()
        code_field = page.get_by_label(f"Pickup code for {order['id']}")
        code_field.fill("WRONG1")
        page.get_by_role("button", name="Hand over").click()
        expect(page.locator("#pickups-message")).not_to_contain_text("handed over")
        expect(page.locator("#pickups-message")).not_to_be_empty()
        page.get_by_label(f"Pickup code for {order['id']}").fill(code)
        page.get_by_role("button", name="Hand over").click()
        expect(page.locator("#pickups-message")).to_have_text(f"Order {order['id']} handed over")
        assert serious_violations(page) == []

        # the same online order comes back at the till and is refunded
        page.get_by_role("button", name="Returns", exact=True).click()
        page.get_by_label("Order id").fill(order["id"])
        page.get_by_label("SKU", exact=True).fill("LS-M")
        page.get_by_role("button", name="Take the return").click()
        expect(page.locator("#return-result")).to_contain_text("refunded €29.90")
        page.get_by_label("Order id").fill(order["id"])
        page.get_by_label("SKU", exact=True).fill("LS-M")
        page.get_by_role("button", name="Take the return").click()  # nothing left to return
        expect(page.locator("#return-error")).to_contain_text("cannot be accepted")
        page.screenshot(path=str(screenshots / "till-return.png"), full_page=True)

        # the transfer on its way to the store
        page.get_by_role("button", name="Incoming transfers", exact=True).click()
        expect(page.locator("#transfers tbody tr")).to_have_count(1)
        expect(page.locator("#transfers tbody")).to_contain_text("CB-1wh-16requested")

        # endless aisle: sold here, shipped to the customer from the warehouse
        page.get_by_role("button", name="Sell", exact=True).click()
        page.get_by_label("Scan or type a barcode or SKU").fill(SHIRT_S)
        page.get_by_label("Scan or type a barcode or SKU").press("Enter")
        page.get_by_label("Ship to the customer from another location").check()
        page.get_by_role("button", name="Complete sale").click()
        expect(page.locator("#sale-error")).to_contain_text("needs line1")
        page.get_by_label("Street").fill("8 rue Oberkampf")
        page.get_by_label("City").fill("Paris")
        page.get_by_label("Postal code").fill("75011")
        page.get_by_label("Country (2 letters)").fill("fr")
        page.get_by_role("button", name="Complete sale").click()
        expect(page.locator("#queue-state")).to_have_attribute("data-waiting", "0", timeout=20_000)
        expect(page.locator("#sales .state-sent")).to_have_count(1)
        page.close()

        returned = admin.get(f"/v1/orders/{order['id']}").json()
        sales = admin.get("/v1/orders", params={"channel": "pos-paris"}).json()["data"]
        transfer_now = admin.get(f"/v1/inventory/transfers/{transfer['id']}").json()

    assert returned["status"] == "returned"
    assert [(fo["type"], fo["location"]) for fo in sales[0]["fulfillment_orders"]] == [
        ("ship", "wh-1")
    ]
    assert transfer_now["status"] == "requested"
    assert watch.refused == []
    assert watch.hosts == {urlparse(server.url).netloc}
