"""The till at /pos in a real browser: a sale online, the network cut, two more sales kept
on the device, the network back, and each sale recorded once; every screen accessible."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.business import SHIRT_M, SHIRT_S, seed
from tests.browser.pages_support import Watch, serious_violations
from tests.conftest import ADMIN_KEY
from tests.support.server import live_server


def _sell(page: Page, *barcodes: str, method: str = "cash", card: str | None = None) -> None:
    for code in barcodes:
        page.get_by_label("Scan or type a barcode or SKU").fill(code)
        page.get_by_label("Scan or type a barcode or SKU").press("Enter")
    page.locator(f"input[name=method][value={method}]").check()
    if card:
        page.get_by_label("Loyalty card").fill(card)
    page.get_by_role("button", name="Complete sale").click()
    expect(page.locator("#receipt")).to_contain_text("taken")


def _waiting(page: Page, count: int) -> None:
    expect(page.locator("#queue-state")).to_have_attribute(
        "data-waiting", str(count), timeout=20_000
    )


def test_sales_taken_offline_are_recorded_once_when_the_network_is_back(
    browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    with live_server(f"sqlite:///{tmp_path}/souk.sqlite3", ADMIN_KEY) as server:
        business = seed(server.url, ADMIN_KEY)
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
        page = context.new_page()
        watch = Watch(page)
        page.goto(server.url + "/pos/")
        assert serious_violations(page) == []
        page.screenshot(path=str(screenshots / "till-signin.png"), full_page=True)

        # a wrong key is answered in the page, then the right one opens the till
        page.get_by_label("POS key").fill("sk_pos_wrong")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#signin-error")).not_to_be_empty()
        page.get_by_label("POS key").fill(business.pos_key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
        expect(page.locator("#store")).to_contain_text("store-paris")
        # the service worker controls the page before the network goes
        page.evaluate("async () => { await navigator.serviceWorker.ready; }")

        # an unknown barcode says so; search finds by words
        page.get_by_label("Scan or type a barcode or SKU").fill("999")
        page.get_by_label("Scan or type a barcode or SKU").press("Enter")
        expect(page.locator("#scan-error")).to_contain_text("Nothing with barcode")
        page.get_by_label("Search the catalog").fill("cookbook")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.locator("#search-results")).to_contain_text("Cookbook")
        page.get_by_role("button", name="Add Cookbook CB-1").click()
        expect(page.locator("#basket-total")).to_have_text("€18.50")
        assert serious_violations(page) == []
        page.screenshot(path=str(screenshots / "till-basket.png"), full_page=True)
        page.locator("input[name=method][value=card]").check()
        page.get_by_role("button", name="Complete sale").click()
        _waiting(page, 0)
        expect(page.locator("#sales li").first).to_contain_text("recorded as order")

        # offline: two more sales are kept on the till
        context.set_offline(True)
        expect(page.locator("#network")).to_contain_text("Offline")
        page.reload()  # the page itself now comes from the service worker's cache
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
        _sell(page, SHIRT_S, SHIRT_S)
        page.get_by_label("Cash tendered").fill("100")
        _sell(page, SHIRT_M)
        _waiting(page, 2)
        page.screenshot(path=str(screenshots / "till-offline.png"), full_page=True)

        # back online: the queue empties by itself
        context.set_offline(False)
        _waiting(page, 0)
        expect(page.locator("#sales .state-sent")).to_have_count(3)
        page.get_by_role("button", name="Send now").click()  # sending again changes nothing
        for screen in ("Click & collect", "Returns", "Incoming transfers"):
            page.get_by_role("button", name=screen, exact=True).click()
            assert serious_violations(page) == [], screen
            slug = screen.split()[0].lower().strip("&")
            page.screenshot(path=str(screenshots / f"till-{slug}.png"), full_page=True)
        context.close()

        orders = httpx.get(
            server.url + "/v1/orders",
            params={"channel": "pos-paris"},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            timeout=60,
        ).json()["data"]
        stock = httpx.get(
            server.url + "/v1/inventory/LS-S",
            params={"location": "store-paris"},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            timeout=60,
        ).json()

    assert len(orders) == 3
    assert sorted(o["totals"]["total"]["amount"] for o in orders) == [1850, 2990, 5980]
    assert {o["status"] for o in orders} == {"fulfilled"}
    assert sorted(p["method"] for o in orders for p in o["payments"]) == ["card", "cash", "cash"]
    assert stock["locations"][0]["on_hand"] == 8
    assert watch.refused == []
    assert watch.hosts == {urlparse(server.url).netloc}
