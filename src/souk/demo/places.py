"""Where the demo business operates: warehouses and stores at real addresses and city
coordinates (data/locations.csv), and its tax rates as in force in 2026
(data/tax_rates.csv: standard and reduced rates; US sales tax by state, so none
country-wide)."""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources
from typing import NamedTuple


class Place(NamedTuple):
    type: str
    code: str
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    lat: float
    lon: float
    timezone: str


class TaxRate(NamedTuple):
    country: str
    region: str | None
    category: str | None
    rate: str
    name: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("souk.demo").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def places() -> list[Place]:
    return [
        Place(**{**row, "lat": float(row["lat"]), "lon": float(row["lon"])})  # type: ignore[arg-type]
        for row in _rows("locations.csv")
    ]


def warehouses() -> list[Place]:
    return [p for p in places() if p.type == "warehouse"]


def stores() -> list[Place]:
    return [p for p in places() if p.type == "store"]


def tax_rates() -> list[TaxRate]:
    return [
        TaxRate(r["country"], r["region"] or None, r["category"] or None, r["rate"], r["name"])
        for r in _rows("tax_rates.csv")
    ]


def codes(kind: str, *countries: str) -> list[str]:
    return [p.code for p in places() if p.type == kind and p.country in countries]
