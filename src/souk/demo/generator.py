"""Deterministic demo products: the same seed gives the same catalog, titles in English,
French and Japanese, variants with EAN-13 barcodes, prices in EUR, USD and JPY."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from souk.demo.assortment import AXES, COLOURS, FAMILY, KINDS, LINES, QUALITIES, Kind, Words

# Rough 2026 rates, rounded to the price points a shop would print.
USD_PER_EUR = 1.10
JPY_PER_EUR = 160


@dataclass(frozen=True, slots=True)
class VariantSpec:
    sku: str
    options: dict[str, str]
    barcode: str
    weight_g: int


@dataclass(frozen=True, slots=True)
class ProductSpec:
    handle: str
    category: str
    titles: dict[str, str]
    descriptions: dict[str, str]
    attributes: dict[str, Any]
    variants: list[VariantSpec]
    prices: dict[str, int] = field(default_factory=dict)


def ean13(number: int) -> str:
    """A valid EAN-13 in the GS1 France range (prefix 37), from a running number."""
    body = f"37{number:010d}"[:12]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def shop_prices(eur: int) -> dict[str, int]:
    """The same item in each currency, at a believable price point: €44.99, $49.99, ¥7,180."""
    usd = int(-(-eur * USD_PER_EUR // 100)) * 100 - 1
    jpy = round(eur * JPY_PER_EUR / 100, -2) - 20
    return {"EUR": eur, "USD": usd, "JPY": int(max(jpy, 80))}


def _texts(kind: Kind, quality: Words, line: str) -> tuple[dict[str, str], dict[str, str]]:
    noun = kind.noun
    titles = {
        "en": f"{noun.en} {line}, {quality.en.lower()}",
        "fr": f"{noun.fr} {line} {quality.fr}",
        "ja": f"{quality.ja}{noun.ja}「{line}」",
    }
    descriptions = {
        "en": f"{noun.en} from our {line} line, {quality.en.lower()}. Designed to last, "
        "made in small batches.",
        "fr": f"{noun.fr} de notre ligne {line}, {quality.fr}. Conçu pour durer, fabriqué en "
        "petites séries.",
        "ja": f"{line}ラインの{quality.ja}{noun.ja}。"
        "長く愛用できるよう、少量生産で丁寧に仕上げました。",
    }
    return titles, descriptions


def _option_code(value: str) -> str:
    return "".join(c for c in value.upper() if c.isalnum())


def _variant_options(rng: random.Random, kind: Kind) -> list[dict[str, str]]:
    name, values = AXES[kind.axis]
    if kind.axis == "size":
        colours = rng.sample(COLOURS, rng.choice((1, 1, 2)))
        return [{"size": v, "colour": c.en} for c in colours for v in values]
    if kind.axis == "shoe":
        start = rng.randint(0, 2)
        return [{name: v} for v in values[start : start + rng.randint(5, 6)]]
    count = rng.randint(2, min(4, len(values)))
    chosen = sorted(rng.sample(range(len(values)), count))
    return [{name: values[i]} for i in chosen]


def generate(count: int, seed: int) -> Iterator[ProductSpec]:
    rng = random.Random(seed)
    used: dict[str, int] = {}
    barcode = 0
    for index in range(1, count + 1):
        kind = rng.choice(KINDS)
        quality = rng.choice(QUALITIES[FAMILY[kind.category]])
        line = rng.choice(LINES)
        base = f"{kind.noun.slug}-{line.lower()}-{quality.slug}"
        base = base.replace("é", "e").replace("'", "")
        used[base] = used.get(base, 0) + 1
        handle = base if used[base] == 1 else f"{base}-{used[base]}"
        titles, descriptions = _texts(kind, quality, line)
        low, high = kind.price
        eur = round(rng.randint(low, high), -2) - 1
        prefix = f"{kind.noun.slug[:3].upper()}{index:05d}"
        variants = []
        for options in _variant_options(rng, kind):
            barcode += 1
            suffix = "-".join(_option_code(v) for v in options.values())
            variants.append(
                VariantSpec(
                    sku=f"{prefix}-{suffix}",
                    options=options,
                    barcode=ean13(barcode),
                    weight_g=kind.weight_g + rng.randint(-kind.weight_g // 10, kind.weight_g // 10),
                )
            )
        yield ProductSpec(
            handle=handle,
            category=kind.category,
            titles=titles,
            descriptions=descriptions,
            attributes={"line": line, "quality": quality.slug},
            variants=variants,
            prices=shop_prices(eur),
        )
