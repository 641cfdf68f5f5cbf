"""The browsable API reference at /docs works offline, in a real browser."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Browser

from tests.conftest import ADMIN_KEY
from tests.support.server import live_server


def test_docs_page_renders_every_operation_from_local_assets(
    browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    with live_server(f"sqlite:///{tmp_path}/souk.sqlite3", ADMIN_KEY) as server:
        page = browser.new_page()
        hosts: set[str] = set()
        page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
        page.goto(server.url + "/docs")
        # The server builds the OpenAPI document on its first request and Swagger UI lays out
        # every operation: on CI's two busy cores that took longer than 20 s once.
        page.wait_for_selector(".opblock-summary-path", timeout=60_000)
        paths = [
            p.replace("\u200b", "") for p in page.locator(".opblock-summary-path").all_inner_texts()
        ]
        page.screenshot(path=str(screenshots / "docs.png"), full_page=True)

        # Expanding an operation shows its problem responses.
        page.locator(".opblock-summary", has_text="/v1/api-keys").first.click()
        page.wait_for_selector(".responses-table", timeout=10_000)
        responses = page.locator(".responses-table").first.inner_text()
        page.close()

    assert "/v1/api-keys" in paths
    assert "/readyz" in paths
    assert "422" in responses
    # Swagger UI's scripts and styles come from Souk itself, never from a CDN.
    assert hosts == {urlparse(server.url).netloc}
