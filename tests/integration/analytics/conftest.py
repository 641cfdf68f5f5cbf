from __future__ import annotations

from pathlib import Path

import pytest

from souk.settings import Settings


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    # A store of its own per test: PostgreSQL tests share one database name.
    return settings.model_copy(update={"analytics_path": str(tmp_path / "analytics.duckdb")})
