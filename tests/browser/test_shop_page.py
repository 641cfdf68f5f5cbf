"""The demo storefront at /shop in a real browser: a shopper fills a cart, signs up, finds
the same cart on another device, and buys for pickup in a store; every screen accessible,
in every language, with nothing loaded from another host."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.business import seed
from tests.browser.pages_support import Watch, serious_violations
from tests.conftest import ADMIN_KEY
from tests.engagement_factories import Inbox, inbox, text_of
from tests.support.server import live_server

__all__ = ["inbox"]


def _open(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)


def _link_mailed_to(mailbox: Inbox, email: str, timeout_s: float = 20.0) -> str:
    """The verification link of the mail the server sends after its answer."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for message, recipients in list(mailbox.account_mails):
            if recipients == [email] and "verify=" in text_of(message):
                found = re.search(r"https?://\S+verify=\S+", text_of(message))
                assert found is not None
                return found.group(0)
        time.sleep(0.05)  # polling the inbox until the mail is there, with a deadline
    raise AssertionError(f"no verification mail to {email} within {timeout_s} s")


def test_a_shopper_buys_for_pickup_with_a_cart_that_followed_them(
    browser: Browser, tmp_path: Path, screenshots: Path, inbox: tuple[Inbox, int]
) -> None:
    smtp = {"SOUK_SMTP_URL": f"smtp://127.0.0.1:{inbox[1]}"}
    with live_server(f"sqlite:///{tmp_path}/souk.sqlite3", ADMIN_KEY, env=smtp) as server:
        seed(server.url, ADMIN_KEY)
        shop = server.url + "/shop"
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        watch = Watch(page)

        # the catalog in Japanese, priced in yen, then in French
        _open(page, shop + "/?lang=ja&currency=JPY")
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        expect(page.get_by_role("link", name="リネンシャツ")).to_be_visible()
        expect(page.locator(".card .price").first).to_contain_text("4,900")
        assert serious_violations(page) == []
        page.screenshot(path=str(screenshots / "shop-catalog-ja.png"), full_page=True)
        _open(page, shop + "/?lang=fr&currency=EUR")
        expect(page.get_by_role("link", name="Chemise en lin")).to_be_visible()
        expect(page.locator(".card .price").first).to_contain_text("29,90")
        # search and categories
        _open(page, shop + "/?lang=en&category=books")
        expect(page.locator(".card h2")).to_have_text(["Cookbook"])
        page.get_by_label("Search products").fill("linen")
        page.get_by_label("Category").select_option("")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.locator(".card h2")).to_have_text(["Linen shirt"])

        # the product page, with the stores near Paris that have it
        page.get_by_role("link", name="Linen shirt").click()
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
        expect(page.locator("#price")).to_have_text("€29.90")
        page.get_by_label("Variant").select_option("LS-M")
        page.get_by_role("button", name="Check stores").click()
        expect(page.locator("#stores")).to_contain_text("Paris Rivoli · 3 in store")
        page.get_by_label("Quantity").fill("2")
        page.get_by_role("button", name="Add to cart").click()
        expect(page.locator("#status")).to_have_text("Added to your cart.")
        expect(page.locator("#cart-count")).to_have_text("(2)")
        assert serious_violations(page) == []
        page.screenshot(path=str(screenshots / "shop-product.png"), full_page=True)

        # signing up keeps the cart
        _open(page, shop + "/account")
        assert serious_violations(page) == []
        register = page.locator("#register")
        register.get_by_label("Email").fill("aiko@example.com")
        register.get_by_label("Password").fill("short")
        register.get_by_role("button", name="Create an account").click()
        expect(page.locator("#status")).to_have_class("error")
        register.get_by_label("Password").fill("correct horse battery staple")
        register.get_by_role("button", name="Create an account").click()
        expect(page.locator("#status")).to_contain_text("we sent a link to aiko@example.com")
        expect(page.locator("#signed-in")).to_have_count(0)
        # the link in the mail (a real SMTP server) signs them in, with their cart
        link = _link_mailed_to(inbox[0], "aiko@example.com")
        assert urlparse(link).path == "/shop/account"
        _open(page, f"{shop}/account?{urlparse(link).query}")
        expect(page.locator("#signed-in")).to_have_text("Signed in as aiko@example.com")
        assert "verify=" not in page.url  # the spent token leaves the address bar
        phone.close()

        # on another device, signing in finds the same cart
        laptop = browser.new_context()
        page = laptop.new_page()
        watch_laptop = Watch(page)
        _open(page, shop + "/account")
        login = page.locator("#login")
        login.get_by_label("Email").fill("aiko@example.com")
        login.get_by_label("Password").fill("correct horse battery staple")
        login.get_by_role("button", name="Sign in").click()
        expect(page.locator("#signed-in")).to_be_visible()
        _open(page, shop + "/cart")
        expect(page.get_by_label("Quantity LS-M")).to_have_value("2")
        expect(page.locator("#total-total")).to_have_text("€59.80")
        assert serious_violations(page) == []
        page.screenshot(path=str(screenshots / "shop-cart.png"), full_page=True)

        # checkout for pickup: a missing email is said in the page, then the order is placed
        page.get_by_role("link", name="Checkout").click()
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=20_000)
        page.get_by_label("Email").fill("")
        page.get_by_label("Pick up in store").check()
        page.get_by_role("button", name="Place order").click()
        expect(page.locator("#f-email-error")).to_have_text("This field is required.")
        page.get_by_label("Email").fill("aiko@example.com")
        page.get_by_label("Store", exact=True).select_option("store-paris")
        assert serious_violations(page) == []
        page.screenshot(path=str(screenshots / "shop-checkout.png"), full_page=True)
        page.get_by_role("button", name="Place order").click()
        confirmation = page.locator("#confirmation")
        expect(confirmation).to_contain_text("Thank you!")
        order_id = confirmation.get_attribute("data-order")
        _open(page, shop + "/account")
        expect(page.locator("#orders li")).to_have_count(1)
        assert serious_violations(page) == []
        page.screenshot(path=str(screenshots / "shop-account.png"), full_page=True)
        laptop.close()

        order = httpx.get(
            f"{server.url}/v1/orders/{order_id}",
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            timeout=60,
        ).json()

    assert order["channel"] == "web"
    assert order["email"] == "aiko@example.com"
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [("LS-M", 2)]
    assert order["totals"]["total"] == {"amount": 5980, "currency": "EUR"}
    assert [(fo["type"], fo["location"]) for fo in order["fulfillment_orders"]] == [
        ("pickup", "store-paris")
    ]
    for seen in (watch, watch_laptop):
        assert seen.refused == []
        assert seen.hosts == {urlparse(server.url).netloc}
