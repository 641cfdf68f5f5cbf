"""What webhook tests share: an app whose dispatcher and delivery worker the test drives by
hand (no background threads racing the assertions), and short retry schedules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.db.outbox import Dispatcher
from souk.db.uow import UnitOfWork
from souk.settings import Settings
from souk.webhooks.worker import DeliveryWorker


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_allow_private": True,
            "webhook_retry_schedule_s": [0.0, 0.0, 0.0],
            "webhook_timeout_s": 1.0,
            "public_url": "https://shop.example",
        }
    )


@dataclass
class Hooks:
    admin: TestClient
    db: Database

    @property
    def worker(self) -> DeliveryWorker:
        worker: DeliveryWorker = self.admin.app.state.webhook_worker  # type: ignore[attr-defined]
        return worker

    def endpoint(self, url: str, events: list[str] | None = None) -> dict[str, Any]:
        response = self.admin.post(
            "/v1/webhook-endpoints", json={"url": url, "events": events or ["*"]}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def emit(self, name: str, payload: dict[str, Any]) -> None:
        with UnitOfWork(self.db) as uow:
            uow.emit(name, payload)
            uow.commit()

    def dispatch(self) -> None:
        dispatcher: Dispatcher = self.admin.app.state.dispatcher  # type: ignore[attr-defined]
        while dispatcher.dispatch_pending():
            pass

    def deliver(self, rounds: int = 1) -> int:
        """Dispatch the outbox, then run that many delivery rounds; returns deliveries sent."""
        self.dispatch()
        return sum(self.worker.run_once() for _ in range(rounds))

    def deliveries(self, endpoint_id: str, **params: str) -> list[dict[str, Any]]:
        response = self.admin.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", params=params)
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data


@pytest.fixture
def hooks(admin: TestClient, db: Database) -> Hooks:
    return Hooks(admin=admin, db=db)
