"""Engagement send benchmark: messages decided, rendered and sent per second to a real
SMTP server (aiosmtpd on a free local port), against a baseline measured in the same run:
the same number of pre-built emails sent by plain `smtplib`, one connection each, as the
sender does. The ratio says what the rules (consent re-check, frequency cap, quiet hours,
coupon-free render, claim and mark) cost on top of SMTP itself.

    .venv/bin/python benchmarks/engagement_send.py [--backend sqlite,postgresql]
        [--messages 300] [--repeat 3]

Per back end and repeat: a scratch database, N profiles with marketing consent (through
CDP ingestion), one journey, N queued messages; then `Sender.send_due` until the queue is
empty. Prints one JSON line per back end with the median and spread of each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import smtplib
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.engagement_factories import Inbox, free_port

from benchmarks.harness import scratch_database
from benchmarks.stats import emit, summarise
from souk.cdp.consents import record_consents
from souk.cdp.ingestion import ingest
from souk.cdp.schemas import ConsentUpdate
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.db.uow import UnitOfWork
from souk.engagement.journeys import create_journey
from souk.engagement.models import Trigger
from souk.engagement.providers import Outgoing, SmtpProvider
from souk.engagement.queueing import Occurrence, queue_all
from souk.engagement.schemas import JourneyCreate
from souk.engagement.sending import Rules, Sender
from souk.settings import Settings

TEMPLATE = {
    "en": {
        "subject": "{{ product.sku }} is back",
        "body": "Hello {{ profile.email }}, {{ product.sku }} is back: "
        "https://shop.example.com/p/{{ product.sku }}\n{{ unsubscribe_url }}",
    }
}


def _prepare(db: Database, n: int) -> None:
    batch = [{"type": "identify", "userId": f"u{i}", "traits": {"email": f"p{i}@example.com"}}
             for i in range(n)]  # fmt: skip
    done = ingest(uow_factory=lambda: UnitOfWork(db), source="web", messages=batch)
    yes = [ConsentUpdate(purpose="marketing", channel="email", granted=True, source="bench")]
    for profile in done.profiles:
        record_consents(uow=UnitOfWork(db), profile_id=profile, consents=yes)
    create_journey(uow=UnitOfWork(db), data=JourneyCreate.model_validate(
        {"name": "Back", "trigger": "back_in_stock", "channel": "email", "template": TEMPLATE}
    ))  # fmt: skip
    now = utcnow()
    queue_all(uow=UnitOfWork(db), occurrences=[
        Occurrence(Trigger.BACK_IN_STOCK, p, f"SKU-{i}", now, {"product": {"sku": f"SKU-{i}"}})
        for i, p in enumerate(done.profiles)
    ])  # fmt: skip


def _one(backend: str, n: int, port: int, inbox: Inbox) -> dict[str, float]:
    with scratch_database(backend) as url:
        settings = Settings(
            database_url=url, auto_migrate=False, smtp_url=f"smtp://127.0.0.1:{port}",
            engagement_max_per_day=1000, engagement_quiet_hours="00:00-00:00",
        )  # fmt: skip
        db = Database(settings)
        migrate(db)
        _prepare(db, n)
        smtp = SmtpProvider(settings.smtp_url or "", sender=settings.smtp_from)
        sender = Sender(db, Rules.from_settings(settings), {"email": smtp})
        before = len(inbox.messages)
        started = time.perf_counter()
        sent = 0
        while (batch := sender.send_due(now=utcnow() + timedelta(seconds=1))) > 0:
            sent += batch
        souk_s = time.perf_counter() - started
        assert sent == n and len(inbox.messages) - before == n, (sent, n)
        db.dispose()
    plain = [smtp.build(Outgoing(f"m{i}", "email", f"p{i}@example.com", "s", "b", "u", "o"))
             for i in range(n)]  # fmt: skip
    started = time.perf_counter()
    for email in plain:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.send_message(email)
    smtp_s = time.perf_counter() - started
    return {"souk_per_s": n / souk_s, "smtp_per_s": n / smtp_s, "ratio": souk_s / smtp_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    try:
        for backend in args.backend.split(","):
            runs = [_one(backend, args.messages, port, inbox) for _ in range(args.repeat)]
            record: dict[str, Any] = {
                "benchmark": "engagement-send", "backend": backend, "messages": args.messages,
                "repeat": args.repeat,
            }  # fmt: skip
            for key in ("souk_per_s", "smtp_per_s", "ratio"):
                record[key] = summarise([r[key] for r in runs])
            emit(record)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
