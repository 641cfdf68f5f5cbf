"""The till in a real browser, signed in by a store manager instead of a POS key: the till
of their store only (a manager of another store sees none of its queue), and a click &
collect hand-over and a return taken while the network is cut, kept on the device, sent once
when it is back, and recorded once each."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from souk.db.engine import Database
from souk.pos.tables import PosTransactionRow
from souk.returns.tables import RefundRow, ReturnRow
from souk.settings import Settings
from tests.browser.business import pickup_order, seed
from tests.browser.pages_support import Watch, serious_violations
from tests.conftest import ADMIN_KEY
from tests.console_factories import PASSWORD, make_staff
from tests.support.server import live_server

LYON = {
    "code": "store-lyon", "name": "Lyon", "type": "store",
    "address": {"line1": "1 place Bellecour", "city": "Lyon", "country": "FR"},
    "lat": 45.76, "lon": 4.84, "timezone": "Europe/Paris",
    "can_ship": False, "can_pickup": True, "accepts_returns": True,
}  # fmt: skip


def _sign_in_as_manager(page: Page, url: str, email: str) -> None:
    page.goto(url + "/pos/")
    page.get_by_label("Staff email").fill(email)
    page.get_by_label("Staff password").fill(PASSWORD)
    page.get_by_role("button", name="Manager sign-in").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=30_000)


def _count(db: Database, table: Any, *where: Any) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def test_a_manager_hands_over_and_takes_back_offline_and_each_is_recorded_once(
    browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    url = f"sqlite:///{tmp_path}/souk.sqlite3"
    with live_server(url, ADMIN_KEY) as server:
        seed(server.url, ADMIN_KEY)
        admin = httpx.Client(base_url=server.url, timeout=60,
                             headers={"Authorization": f"Bearer {ADMIN_KEY}"})  # fmt: skip
        assert admin.post("/v1/locations", json=LYON).status_code == 201
        made = admin.post("/v1/channels", json={
            "code": "pos-lyon", "name": "Souk Lyon", "type": "pos", "default_currency": "EUR",
            "currencies": ["EUR"], "default_locale": "fr", "locales": ["fr"], "country": "FR",
            "prices_include_tax": True, "ship_from": ["wh-1"], "pickup_at": ["store-lyon"],
        })  # fmt: skip
        assert made.status_code == 201, made.text
        db = Database(Settings(database_url=url, secret_key="till-browser-secret-0123456789ab"))
        make_staff(db, "store_manager", email="paris@example.com", stores=("store-paris",))
        make_staff(db, "store_manager", email="lyon@example.com", stores=("store-lyon",))
        order, code = pickup_order(server.url)

        # the Lyon manager's till: Lyon only, and none of Paris's pickups
        lyon = browser.new_context().new_page()
        lyon_watch = Watch(lyon)
        _sign_in_as_manager(lyon, server.url, "lyon@example.com")
        expect(lyon.locator("#store")).to_contain_text("store-lyon · pos-lyon · Store Manager")
        lyon.get_by_role("button", name="Click & collect", exact=True).click()
        expect(lyon.locator("#pickups")).to_have_text("No click & collect order at this store")
        asked = lyon.evaluate("""async () => {
            const s = JSON.parse(localStorage.getItem("souk.till.session"));
            const r = await fetch("/v1/fulfillment-orders?location=store-paris",
                                  {headers: {"X-CSRF-Token": s.csrf_token}});
            return r.status; }""")
        assert asked == 403
        lyon.close()

        # the Paris manager's till, on a phone
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        watch = Watch(page)
        page.goto(server.url + "/pos/")
        page.get_by_label("Staff email").fill("paris@example.com")
        page.get_by_label("Staff password").fill("not the password at all")
        page.get_by_role("button", name="Manager sign-in").click()
        expect(page.locator("#manager-error")).to_contain_text("Wrong email or password")
        assert serious_violations(page) == []
        _sign_in_as_manager(page, server.url, "paris@example.com")
        expect(page.locator("#store")).to_contain_text("store-paris · pos-paris")
        page.evaluate("async () => { await navigator.serviceWorker.ready; }")
        page.get_by_role("button", name="Click & collect", exact=True).click()
        expect(page.get_by_label(f"Pickup code for {order['id']}")).to_be_visible()

        # the network goes; the hand-over and the return are kept on the till
        context.set_offline(True)
        expect(page.locator("#network")).to_contain_text("Offline")
        page.get_by_label(f"Pickup code for {order['id']}").fill(code)
        page.get_by_role("button", name="Hand over").click()
        expect(page.locator("#pickups-message")).to_contain_text("kept on this till")
        expect(page.locator("#pickup-log")).to_contain_text("waiting for the network")
        expect(page.locator("#pickups")).to_contain_text("handed over")
        assert serious_violations(page) == []
        page.get_by_role("button", name="Returns", exact=True).click()
        page.get_by_label("Order id").fill(order["id"])
        page.get_by_label("SKU", exact=True).fill("LS-M")
        page.get_by_role("button", name="Take the return").click()
        expect(page.locator("#return-result")).to_contain_text("kept on this till")
        expect(page.locator("#return-log")).to_contain_text("waiting for the network")
        assert serious_violations(page) == []
        page.screenshot(path=str(screenshots / "till-offline-return.png"), full_page=True)
        assert _count(db, PosTransactionRow) == 0

        # the network is back: both are sent, once
        context.set_offline(False)
        expect(page.locator("#return-log")).to_contain_text("recorded, refunded €29.90")
        expect(page.locator("#pickup-log")).to_contain_text(f"Hand-over of {order['id']}")
        expect(page.locator("#pickup-log li.state-sent")).to_have_count(1)
        page.get_by_role("button", name="Sell", exact=True).click()
        page.get_by_role("button", name="Send now").click()  # sending again changes nothing
        page.screenshot(path=str(screenshots / "till-online-again.png"), full_page=True)
        expect(page.locator("#queue-state")).to_have_attribute("data-waiting", "0")
        context.close()
        after = admin.get(f"/v1/orders/{order['id']}").json()
        counts = [
            _count(db, PosTransactionRow, PosTransactionRow.kind == "pickup"),
            _count(db, PosTransactionRow, PosTransactionRow.kind == "return"),
            _count(db, ReturnRow),
            _count(db, RefundRow),
        ]
        db.dispose()
    assert after["status"] == "returned"
    assert after["fulfillment_orders"][0]["status"] == "collected"
    assert counts == [1, 1, 1, 1]
    for watched in (watch, lyon_watch):
        assert watched.refused == []
        assert watched.hosts == {urlparse(server.url).netloc}
