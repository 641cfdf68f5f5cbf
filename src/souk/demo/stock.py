"""Opening stock for the demo: receipts in the inventory ledger, so that every unit on hand
is explained by a movement (invariant 2), like a real go-live."""

from __future__ import annotations

import random
from collections.abc import Sequence

from rich.progress import Progress

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.demo import places
from souk.demo.generator import ProductSpec
from souk.inventory.bulk_receipts import receive_many

REGIONS = (("FR", "DE", "ES"), ("US",), ("JP",))
BATCH = 2000


def plan(specs: Sequence[ProductSpec], seed: int) -> list[tuple[str, str, int]]:
    """(sku, location, units): each variant in one or two warehouses of each region, and
    a few in stores; about one variant in twelve has none at all (sold out)."""
    rng = random.Random(seed + 2)
    lines = []
    for spec in specs:
        for variant in spec.variants:
            if rng.random() < 1 / 12:
                continue
            for region in REGIONS:
                warehouses = places.codes("warehouse", *region)
                for code in rng.sample(warehouses, min(len(warehouses), rng.choice((1, 2)))):
                    lines.append((variant.sku, code, rng.randint(3, 60)))
                for code in places.codes("store", *region):
                    if rng.random() < 0.04:
                        lines.append((variant.sku, code, rng.randint(1, 6)))
    return lines


def receive(db: Database, specs: Sequence[ProductSpec], *, seed: int, progress: Progress) -> int:
    lines = plan(specs, seed)
    task = progress.add_task("Opening stock", total=len(lines))
    with UnitOfWork(db) as uow:
        for start in range(0, len(lines), BATCH):
            batch = lines[start : start + BATCH]
            receive_many(session=uow.session, lines=batch, reference="opening-stock")
            progress.advance(task, len(batch))
        uow.commit()
    return sum(units for _, _, units in lines)
