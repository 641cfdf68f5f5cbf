"""Shoppers checking out at the same instant against a live server: each thread holds its
own connection and waits on one barrier, so the checkouts really race."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import httpx


def race_checkouts(
    url: str, publishable_key: str, carts: list[str], *, threads: int
) -> list[tuple[int, str]]:
    """Check every cart out with `tok_ok`, spread over `threads` racing clients; returns each
    answer's status and problem type ("" for a success)."""
    start = Barrier(threads)

    def buy(chunk: list[str]) -> list[tuple[int, str]]:
        out = []
        with httpx.Client(base_url=url, timeout=60) as client:
            start.wait()
            for cart_id in chunk:
                r = client.post(
                    f"/v1/carts/{cart_id}/checkout",
                    headers={"X-Publishable-Key": publishable_key},
                    json={"payment": {"provider": "test", "token": "tok_ok"}},
                )
                out.append((r.status_code, r.json().get("type", "")))
        return out

    chunks = [carts[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        return [answer for part in pool.map(buy, chunks) for answer in part]
