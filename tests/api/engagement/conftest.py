"""Every engagement API test gets its own real SMTP server, settings that send mail to it,
and the French shop."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.settings import Settings
from tests.engagement_factories import Inbox, engagement_settings, inbox
from tests.fulfilment_factories import FrenchShop, french_shop

__all__ = ["inbox"]


@pytest.fixture
def settings(settings: Settings, inbox: tuple[Inbox, int]) -> Settings:
    return engagement_settings(settings, inbox[1])


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)
