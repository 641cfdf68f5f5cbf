"""Feeds benchmark: a channel's whole Google Merchant feed and Meta CSV, against walking the
same storefront catalog pages that the feeds read (the baseline), in one run.

    .venv/bin/python benchmarks/feeds.py [--backend sqlite,postgresql] [--products 2000]
        [--repeats 5]

For each back end: a scratch database filled by `souk demo load` with `--products` products,
then, in-process, `--repeats` times each: the catalog walk (every page of the `web` channel,
200 products a page: the reads a feed needs), the Google RSS (walk + items + XML) and the
Meta CSV (walk + items + CSV). Prints one JSON line per repeat and a summary per back end:
median and spread of the seconds, items per second, and each feed's time as a ratio of the
walk measured in the same repeat (the cost of the formats over the reads).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import scratch_database
from benchmarks.stats import emit, summarise
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.db.uow import UnitOfWork
from souk.demo import loader
from souk.feeds import formats
from souk.feeds.service import PAGE, build_feed
from souk.settings import Settings
from souk.storefront import page

CHANNEL = "web"


def walk(db: Database) -> int:
    """Every page of the channel's catalog, as the feed reads it; the number of variants."""
    variants, cursor = 0, None
    while True:
        found = page.browse(
            uow=UnitOfWork(db, write=False), channel=CHANNEL, limit=PAGE, cursor=cursor
        )
        variants += sum(len(p["variants"]) for p in found["data"])
        cursor = found["next_cursor"]
        if cursor is None:
            return variants


def timed(work: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()  # type: ignore[operator]
    return time.perf_counter() - started, result


def run(backend: str, products: int, repeats: int) -> None:
    with scratch_database(backend) as url:
        db = Database(Settings(database_url=url, secret_key="bench-secret-" + "x" * 32))
        migrate(db)
        with Progress(console=Console(stderr=True)) as progress:
            loader.load(db, products=products, seed=7, progress=progress)
        base = "https://shop.example"
        samples: dict[str, list[float]] = {"walk": [], "google": [], "meta": []}
        ratios: dict[str, list[float]] = {"google": [], "meta": []}
        items = 0
        for repeat in range(repeats):
            walk_s, variants = timed(lambda: walk(db))
            google_s, body = timed(
                lambda: formats.google_rss(
                    build_feed(db=db, channel=CHANNEL, base_url=base, brand="Souk")
                )
            )
            meta_s, _ = timed(
                lambda: formats.meta_csv(
                    build_feed(db=db, channel=CHANNEL, base_url=base, brand="Souk")
                )
            )
            items = int(variants)  # type: ignore[call-overload]
            for name, seconds in (("walk", walk_s), ("google", google_s), ("meta", meta_s)):
                samples[name].append(seconds)
            ratios["google"].append(google_s / walk_s)
            ratios["meta"].append(meta_s / walk_s)
            emit({
                "benchmark": "feeds", "backend": backend, "products": products, "repeat": repeat,
                "items": items, "walk_s": round(walk_s, 3), "google_s": round(google_s, 3),
                "meta_s": round(meta_s, 3), "google_bytes": len(body),  # type: ignore[arg-type]
            })  # fmt: skip
        google = summarise(samples["google"])
        emit({
            "benchmark": "feeds", "backend": backend, "products": products, "items": items,
            "summary": True, "walk_s": summarise(samples["walk"]), "google_s": google,
            "meta_s": summarise(samples["meta"]),
            "google_items_per_s": round(items / google["median"]),
            "google_vs_walk": summarise(ratios["google"]),
            "meta_vs_walk": summarise(ratios["meta"]),
        })  # fmt: skip
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for backend in args.backend.split(","):
        run(backend, args.products, args.repeats)


if __name__ == "__main__":
    main()
