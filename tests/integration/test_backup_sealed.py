"""`souk backup` seals what it writes with SOUK_BACKUP_KEY (AES-256-GCM): the file at rest
holds no customer's data in clear, the key brings it all back, and a wrong, missing or
damaged one is a clear error that restores nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect

from souk.app import create_app
from souk.db import sealing
from souk.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.integration.test_backup import BACKUP_KEY, _contents, _souk, fresh_url

__all__ = ["fresh_url"]
# Each case runs `souk` processes that import the whole app: minutes on a loaded machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]
EMAIL = b"secret.person@example.com"


def _a_customer(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        created = client.post(
            "/v1/customers", json={"email": EMAIL.decode(), "name": "Secret Person"}
        )
        assert created.status_code == 201, created.text


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_a_sealed_backup_holds_no_email_and_its_key_restores_everything(
    settings: Settings, database_url: str, fresh_url: str, tmp_path: Path, backend: str
) -> None:
    # Given a customer, and a backup made with the key
    _a_customer(settings)
    sealed = tmp_path / "souk.backup"
    made = _souk(database_url, "backup", str(sealed))
    assert made.returncode == 0, made.stderr
    assert "sealed" in made.stdout
    # Then the file at rest is sealed and holds neither the email nor the name
    raw = sealed.read_bytes()
    assert raw.startswith(sealing.MAGIC)
    assert EMAIL not in raw and b"Secret Person" not in raw
    if backend == "sqlite":  # (pg_dump compresses: its clear file would not show it either)
        clear = tmp_path / "clear.backup"
        assert _souk(database_url, "backup", "--unencrypted", str(clear)).returncode == 0
        assert EMAIL in clear.read_bytes()
    # When it is restored with the key into a fresh database
    restored = _souk(fresh_url, "restore", str(sealed))
    assert restored.returncode == 0, restored.stderr
    # Then everything is back, the customer included
    source, copy = _contents(database_url), _contents(fresh_url)
    assert copy["customers"] == source["customers"]
    assert any(EMAIL.decode() in row for row in copy["customers"])
    assert set(copy) == set(source)


def test_a_wrong_missing_or_damaged_key_restores_nothing(
    settings: Settings, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    _a_customer(settings)
    sealed = tmp_path / "souk.backup"
    assert _souk(database_url, "backup", str(sealed)).returncode == 0
    cut = tmp_path / "cut.backup"
    cut.write_bytes(sealed.read_bytes()[:-10])
    cases = [
        (sealed, sealing.new_key(), "The backup key does not open this file"),
        (sealed, None, "is sealed: set SOUK_BACKUP_KEY to the key it was made with"),
        (sealed, "not-a-key", "SOUK_BACKUP_KEY is not URL-safe base64"),
        (cut, BACKUP_KEY, "cut short"),
    ]
    for path, key, message in cases:
        refused = _souk(fresh_url, "restore", str(path), key=key)
        assert refused.returncode == 2, (key, refused.stderr)
        assert message in " ".join(refused.stderr.split()), refused.stderr
        assert _tables(fresh_url) == [], key


def test_without_a_key_a_backup_is_refused_unless_asked_for_in_clear(
    database_url: str, tmp_path: Path, backend: str
) -> None:
    target = tmp_path / "souk.backup"
    refused = _souk(database_url, "backup", str(target), key=None)
    assert refused.returncode == 2
    assert "set SOUK_BACKUP_KEY" in " ".join(refused.stderr.split())
    assert list(tmp_path.glob("souk.backup*")) == []  # not even a .partial
    clear = _souk(database_url, "backup", "--unencrypted", str(target), key=None)
    assert clear.returncode == 0, clear.stderr
    assert "unencrypted" in clear.stdout
    head = target.read_bytes()[:16]
    assert head.startswith(b"SQLite format 3" if backend == "sqlite" else b"PGDMP")


def test_backup_key_prints_a_key_that_seals() -> None:
    made = _souk("sqlite://", "backup-key", key=None)
    assert made.returncode == 0, made.stderr
    assert len(sealing.parse_key(made.stdout.strip())) == 32
