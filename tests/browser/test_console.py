"""The admin console in a real browser (Debian's Chromium), against a real `souk serve`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import update

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.settings import Settings
from souk.staff.tables import StaffSessionRow
from tests.browser.console_setup import ConsoleData, axe_violations, build
from tests.conftest import ADMIN_KEY
from tests.console_factories import PASSWORD
from tests.support.server import LiveServer, live_server


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ConsoleData:
    path = tmp_path_factory.mktemp("console") / "souk.sqlite3"
    return build(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def server(data: ConsoleData, browser: Browser) -> Iterator[LiveServer]:
    with live_server(data.database_url, ADMIN_KEY) as running:
        yield running


class Watched:
    """A browser context that records every host asked and every CSP refusal."""

    def __init__(self, browser: Browser) -> None:
        self.context: BrowserContext = browser.new_context()
        self.hosts: set[str] = set()
        self.refusals: list[str] = []
        self.page: Page = self.context.new_page()
        self.page.on("request", lambda r: self.hosts.add(urlparse(r.url).netloc))
        self.page.on(
            "console",
            lambda m: self.refusals.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def sign_in(self, server: LiveServer, email: str) -> None:
        self.page.goto(server.url + "/")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.context.close()


def test_sign_in_find_an_order_and_follow_its_timeline(
    server: LiveServer, data: ConsoleData, watched: Watched, screenshots: Path
) -> None:
    page = watched.page
    watched.sign_in(server, "operations@example.com")
    expect(page).to_have_url(server.url + "/admin/dashboard")
    expect(page.locator("#summary")).to_contain_text("3 orders since")
    page.wait_for_function("document.querySelector('#chart-channel').dataset.drawn === '1'")
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)

    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_label("Status").select_option("placed")  # htmx swaps the table in place
    expect(page).to_have_url(server.url + "/admin/orders?channel=&status=placed&customer=")
    page.get_by_role("link", name=data.shipped["number"]).click()
    expect(page.locator("h1")).to_have_text(f"Order {data.shipped['number']}")
    expect(page.locator("#timeline")).to_contain_text("placed")
    expect(page.locator("#order-status")).to_have_text("placed")
    page.screenshot(path=str(screenshots / "order.png"), full_page=True)

    assert watched.hosts == {urlparse(server.url).netloc}
    assert watched.refusals == []


def test_accept_pack_and_ship_a_fulfilment_order(
    server: LiveServer, data: ConsoleData, watched: Watched, screenshots: Path
) -> None:
    (fo,) = data.shipped["fulfillment_orders"]
    page = watched.page
    watched.sign_in(server, "admin@example.com")
    page.goto(server.url + "/admin/fulfilment")
    page.get_by_label("Location").select_option(fo["location"])
    page.get_by_role("button", name="Show queue").click()
    row = page.locator(f"#fo-{fo['id']}")
    row.get_by_role("button", name="Accept").click()
    expect(page.locator(".notice")).to_have_text("Done: accept.")
    expect(row.locator(".fo-status")).to_have_text("accepted")
    row.get_by_role("button", name="Pack").click()
    expect(row.locator(".fo-status")).to_have_text("packed")

    # A ship without its tracking number: the errors are in the page, nothing moved.
    row.get_by_label("Carrier").fill("laposte")
    row.get_by_role("button", name="Ship").click()
    expect(row.locator(".error")).to_contain_text("tracking_number")
    expect(row.locator(".fo-status")).to_have_text("packed")
    expect(row.get_by_label("Carrier")).to_have_value("laposte")  # what was typed stays
    page.screenshot(path=str(screenshots / "ship-error.png"), full_page=True)

    row.get_by_label("Tracking number").fill("LP42FR")
    row.get_by_role("button", name="Ship").click()
    expect(row.locator(".fo-status")).to_have_text("shipped")
    page.goto(server.url + f"/admin/orders/{data.shipped['id']}")
    expect(page.locator("main")).to_contain_text("laposte LP42FR (shipped)")
    assert watched.refusals == []
    assert watched.hosts == {urlparse(server.url).netloc}


def test_a_store_manager_sees_only_their_store(
    server: LiveServer, data: ConsoleData, watched: Watched
) -> None:
    page = watched.page
    watched.sign_in(server, "store_manager@example.com")
    expect(page).to_have_url(server.url + "/admin/fulfilment")
    expect(page.locator("caption")).to_have_text("Queue of store-lyon, oldest first")
    (lyon_fo,) = data.pickup["fulfillment_orders"]
    expect(page.locator(f"#fo-{lyon_fo['id']}")).to_be_visible()
    (paris_fo,) = data.second["fulfillment_orders"]
    expect(page.locator(f"#fo-{paris_fo['id']}")).to_have_count(0)
    answer = page.goto(server.url + "/admin/fulfilment?location=store-paris")
    assert answer is not None and answer.status == 403
    expect(page.locator("#error-detail")).to_have_text("You manage store-lyon, not store-paris")


def test_a_post_without_csrf_token_is_refused(
    server: LiveServer, data: ConsoleData, watched: Watched
) -> None:
    (fo,) = data.second["fulfillment_orders"]
    watched.sign_in(server, "admin@example.com")
    expect(watched.page).to_have_url(server.url + "/admin/dashboard")
    # The browser's own cookie goes along: only the missing token makes it a forgery.
    forged = watched.page.request.post(
        server.url + f"/admin/fulfilment/{fo['id']}/accept", form={"location": ""}
    )
    assert forged.status == 403
    assert "security token (CSRF)" in forged.text()
    watched.page.goto(server.url + "/admin/fulfilment?status=open")
    expect(watched.page.locator(f"#fo-{fo['id']} .fo-status")).to_have_text("open")


def test_an_expired_session_asks_to_sign_in_again(
    server: LiveServer, data: ConsoleData, watched: Watched
) -> None:
    page = watched.page
    watched.sign_in(server, "marketer@example.com")
    expect(page).to_have_url(server.url + "/admin/dashboard")
    db = Database(Settings(database_url=data.database_url))
    with db.sessions.begin() as session:
        session.execute(update(StaffSessionRow).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.dispose()
    page.goto(server.url + "/admin/customers")
    expect(page).to_have_url(server.url + "/admin/sign-in?next=/admin/customers&reason=expired")
    expect(page.locator("#sign-in-message")).to_have_text("Your session has ended: sign in again.")
    page.get_by_label("Email").fill("marketer@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url + "/admin/customers")


def test_every_screen_passes_axe_core(
    server: LiveServer, data: ConsoleData, watched: Watched, screenshots: Path
) -> None:
    page = watched.page
    page.goto(server.url + "/admin/sign-in")
    found = {"sign-in": axe_violations(page)}
    watched.sign_in(server, "admin@example.com")
    expect(page).to_have_url(server.url + "/admin/dashboard")
    screens = {
        "dashboard": "/admin/dashboard",
        "orders": "/admin/orders",
        "order": f"/admin/orders/{data.shipped['id']}",
        "fulfilment": "/admin/fulfilment?location=store-lyon",
        "inventory": "/admin/inventory?sku=TEE-M",
        "catalog": "/admin/catalog",
        "prices": "/admin/catalog/prices?sku=MUG",
        "inconsistencies": "/admin/catalog/inconsistencies",
        "customers": "/admin/customers?kind=email&value=anne%40example.com",
        "marketing": "/admin/marketing",
        "webhooks": "/admin/webhooks",
        "error": "/admin/orders/ord_missing",
    }
    for name, path in screens.items():
        page.goto(server.url + path)
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
        found[name] = axe_violations(page)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(server.url + "/admin/fulfilment?location=store-lyon")
    page.screenshot(path=str(screenshots / "fulfilment-phone.png"), full_page=True)
    found["fulfilment-phone"] = axe_violations(page)
    assert {name: v for name, v in found.items() if v} == {}
    assert watched.refusals == []
    assert watched.hosts == {urlparse(server.url).netloc}
