"""A channel's feed: the storefront page (catalog × channel prices × ATP less the channel's
buffer) walked to its end, one variant per item."""

from __future__ import annotations

from typing import Any

from souk.channels.queries import get_channel
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.feeds.models import Feed, FeedItem, titled, valid_gtin
from souk.money import Money
from souk.storefront import page

PAGE = 200


def build_feed(*, db: Database, channel: str, base_url: str, brand: str) -> Feed:
    """Every variant the channel lists and prices in its default currency, in its default
    locale. Each page is its own short read: a large catalog does not hold one snapshot."""
    with UnitOfWork(db, write=False, stale_ok=True) as uow:
        shop = get_channel(session=uow.session, code=channel)
    items: list[FeedItem] = []
    cursor: str | None = None
    while True:
        found = page.browse(
            uow=UnitOfWork(db, write=False, stale_ok=True),
            channel=channel,
            limit=PAGE,
            cursor=cursor,
        )
        for product in found["data"]:
            items.extend(_items(product, base_url=base_url, brand=brand))
        cursor = found["next_cursor"]
        if cursor is None:
            break
    return Feed(channel=shop.code, title=shop.name, link=_shop_link(base_url), items=items)


def _shop_link(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/shop/"


def _items(product: dict[str, Any], *, base_url: str, brand: str) -> list[FeedItem]:
    base = base_url.rstrip("/")
    attributes = product["attributes"]
    link = f"{base}/shop/products/{product['handle']}"
    image = attributes.get("image_url") or f"{base}/shop/assets/product.png"
    several = len(product["variants"]) > 1
    return [
        FeedItem(
            id=variant["sku"],
            group_id=product["handle"],
            title=titled(product["title"], variant["options"] if several else {}),
            description=product["description"] or product["title"],
            link=link,
            image_link=str(image),
            price=Money(variant["price"]["amount"], variant["price"]["currency"]),
            available=variant["available"],
            allow_backorder=variant["allow_backorder"],
            brand=str(attributes.get("brand") or brand),
            gtin=valid_gtin(variant["barcode"]),
            category=product["category"],
        )
        for variant in product["variants"]
    ]
