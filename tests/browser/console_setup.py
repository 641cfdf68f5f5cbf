"""A French retailer with orders to work on and a staff account per role, written into a
SQLite file before a real `souk serve` is started on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from souk.app import create_app
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.console_factories import make_staff
from tests.fulfilment_factories import french_shop

AXE = Path(__file__).parent.parent / "support" / "vendor" / "axe.min.js"


@dataclass
class ConsoleData:
    database_url: str
    shipped: dict[str, Any]
    second: dict[str, Any]
    pickup: dict[str, Any]


def build(database_url: str) -> ConsoleData:
    settings = Settings(
        database_url=database_url,
        bootstrap_admin_key=ADMIN_KEY,
        secret_key="console-browser-secret-key-0123456789",
        dispatcher_enabled=False,
        reservation_sweep_interval_s=0,
        rate_limit_enabled=False,
    )
    db = Database(settings)
    migrate(db)
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        fr = french_shop(client, db)
        shipped = fr.web_order(("TEE-M", 1))
        second = fr.web_order(("CAP", 1))
        pickup = fr.web_order(("MUG", 1), pickup="store-lyon")
        fr.shop.price("MUG", "EUR", 1300, channel="pos-lyon")  # for the inconsistency report
    for role in ("admin", "operations", "marketer"):
        make_staff(db, role)
    make_staff(db, "store_manager", stores=("store-lyon",))
    db.dispose()
    return ConsoleData(database_url, shipped, second, pickup)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now. The script is
    evaluated by the driver (not a <script> tag, which the page's CSP would refuse)."""
    page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"""
    )
    return found
