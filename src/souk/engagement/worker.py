"""The engagement loop every `souk worker` (and a `souk serve` that dispatches events) runs
each SOUK_ENGAGEMENT_INTERVAL_S: scan for abandoned carts and churn risk, then send what is
due. Safe with several running at once: scans mark what they announced, and each message
is claimed by a conditional UPDATE before it leaves."""

from __future__ import annotations

import logging
import threading

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.engagement.providers import LoggingProvider, NotConfigured, Provider, SmtpProvider
from souk.engagement.scanner import scan
from souk.engagement.sending import Rules, Sender
from souk.settings import Settings

log = logging.getLogger(__name__)


def build_providers(settings: Settings) -> dict[str, Provider]:
    email: Provider = (
        SmtpProvider(settings.smtp_url, sender=settings.smtp_from)
        if settings.smtp_url
        else NotConfigured("SOUK_SMTP_URL is not set")
    )
    return {"email": email, "sms": LoggingProvider("sms"), "push": LoggingProvider("push")}


class EngagementWorker:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.sender = Sender(db, Rules.from_settings(settings), build_providers(settings))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, int]:
        found = scan(
            uow=UnitOfWork(self.db),
            cart_idle_s=self.settings.engagement_cart_idle_s,
            churn_threshold=self.settings.engagement_churn_threshold,
        )
        sent = 0
        while True:
            batch = self.sender.send_due()
            sent += batch
            if batch == 0:
                break
        return {**found, "sent": sent}

    def start(self) -> None:
        if self.settings.engagement_interval_s <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="souk-engagement", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.settings.engagement_interval_s):
            try:
                self.run_once()
            except Exception:
                log.warning("engagement round failed; retrying next interval", exc_info=True)
