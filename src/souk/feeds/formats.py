"""The feed formats: Google Merchant Center RSS 2.0 with the `g:` namespace, Meta's catalog
CSV, and the inventory feed a marketplace connector polls."""

from __future__ import annotations

import csv
import io
from typing import Any
from xml.etree import ElementTree as ET

from souk.feeds.models import Feed, FeedItem, price_text

GOOGLE_NS = "http://base.google.com/ns/1.0"
ET.register_namespace("g", GOOGLE_NS)

META_COLUMNS = [
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "link",
    "image_link",
    "brand",
    "gtin",
    "item_group_id",
    "quantity_to_sell_on_facebook",
]


def _google_availability(item: FeedItem) -> str:
    if item.in_stock:
        return "in_stock"
    return "backorder" if item.backorder else "out_of_stock"


def _meta_availability(item: FeedItem) -> str:
    if item.in_stock:
        return "in stock"
    return "available for order" if item.backorder else "out of stock"


def google_rss(feed: Feed) -> bytes:
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = feed.title
    ET.SubElement(channel, "link").text = feed.link
    ET.SubElement(channel, "description").text = f"Products of {feed.title} ({feed.channel})"
    for item in feed.items:
        entry = ET.SubElement(channel, "item")
        fields: list[tuple[str, str | None]] = [
            ("id", item.id),
            ("item_group_id", item.group_id),
            ("title", item.title),
            ("description", item.description),
            ("link", item.link),
            ("image_link", item.image_link),
            ("price", price_text(item.price)),
            ("availability", _google_availability(item)),
            ("condition", "new"),
            ("brand", item.brand),
            ("gtin", item.gtin),
            # Without a GTIN, Google wants to be told so rather than guess.
            ("identifier_exists", None if item.gtin else "no"),
            ("product_type", item.category),
        ]
        for name, value in fields:
            if value is not None:
                ET.SubElement(entry, f"{{{GOOGLE_NS}}}{name}").text = value
    body: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return body


def meta_csv(feed: Feed) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=META_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in feed.items:
        writer.writerow(
            {
                "id": item.id,
                "title": item.title,
                "description": item.description,
                "availability": _meta_availability(item),
                "condition": "new",
                "price": price_text(item.price),
                "link": item.link,
                "image_link": item.image_link,
                "brand": item.brand,
                "gtin": item.gtin or "",
                "item_group_id": item.group_id,
                "quantity_to_sell_on_facebook": item.available,
            }
        )
    return out.getvalue()


def inventory(feed: Feed, generated_at: str) -> dict[str, Any]:
    return {
        "channel": feed.channel,
        "generated_at": generated_at,
        "items": [{"sku": i.id, "available": i.available} for i in feed.items],
    }
