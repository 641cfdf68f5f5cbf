"""What every page test checks: axe-core finds no serious violation, the page loads nothing
from any host but the server, and the Content-Security-Policy blocked nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Page, expect

# axe-core from the npm registry (`npm pack axe-core@4.10.3`), vendored: tests download
# nothing. It is evaluated through the DevTools protocol, which the page's CSP does not
# govern, so the page keeps its real policy during the check.
AXE = (Path(__file__).parents[1] / "support" / "vendor" / "axe.min.js").read_text()
SERIOUS = {"serious", "critical"}
# Waiting for what the page shows, never sleeping: on a loaded 2-core machine an answer may
# take longer than Playwright's 5 s default without anything being wrong.
expect.set_options(timeout=30_000)


class Watch:
    """Every host a page asked for and every CSP refusal it logged."""

    def __init__(self, page: Page) -> None:
        self.hosts: set[str] = set()
        self.refused: list[str] = []
        page.on("request", lambda request: self.hosts.add(urlparse(request.url).netloc))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.refused.append(message.text)


def serious_violations(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in SERIOUS
    ]
