"""Customer tokens: signed, expiring, and a secret that survives restarts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from souk.customers.tokens import (
    ConfigurationError,
    TokenSigner,
    looks_like_token,
    resolve_secret,
    secret_file_for,
)
from souk.db.base import utcnow
from souk.errors import Unauthorized
from souk.settings import Settings

SECRET = "unit-test-secret-that-is-long-enough-000"


def test_a_token_names_its_customer() -> None:
    signer = TokenSigner(SECRET, ttl_s=60)
    issued = signer.issue("cus_1")
    assert looks_like_token(issued.token)
    assert signer.verify(issued.token) == "cus_1"


def test_an_expired_token_is_refused() -> None:
    signer = TokenSigner(SECRET, ttl_s=60)
    old = signer.issue("cus_1", now=utcnow() - timedelta(seconds=120))
    with pytest.raises(Unauthorized, match="expired"):
        signer.verify(old.token)


def test_a_tampered_token_is_refused() -> None:
    signer = TokenSigner(SECRET, ttl_s=60)
    token = signer.issue("cus_1").token
    header, payload, signature = token.split(".")
    forged = jwt.encode(
        {**jwt.decode(token, options={"verify_signature": False}), "sub": "cus_2"},
        "another-secret-of-sufficient-length-123",
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized, match="not valid"):
        signer.verify(forged)
    with pytest.raises(Unauthorized, match="not valid"):
        signer.verify(f"{header}.{payload}.{signature[:-2]}xx")
    with pytest.raises(Unauthorized):
        TokenSigner("some-other-secret-that-is-long-enough", ttl_s=60).verify(token)


def test_a_token_without_algorithm_is_refused() -> None:
    claims = {"sub": "cus_1", "iss": "souk", "aud": "souk:customer", "iat": 1, "exp": 2**40}
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(Unauthorized):
        TokenSigner(SECRET, ttl_s=60).verify(unsigned)


def test_api_keys_never_look_like_tokens() -> None:
    assert not looks_like_token("sk_abc-DEF_123")
    assert not looks_like_token("pk_" + "x" * 43)


def test_the_configured_secret_wins(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/db.sqlite3", secret_key=SECRET)
    assert resolve_secret(settings) == SECRET
    assert not (tmp_path / "secret_key").exists()


def test_without_a_secret_sqlite_keeps_one_beside_the_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/var/db.sqlite3")
    first = resolve_secret(settings)
    path = secret_file_for(settings)
    assert path == tmp_path / "var" / "secret_key"
    assert path.read_text().strip() == first
    assert path.stat().st_mode & 0o777 == 0o600
    # A restart (or another worker) reads the same secret: tokens survive.
    assert resolve_secret(settings) == first
    token = TokenSigner(first, 60).issue("cus_1").token
    assert TokenSigner(resolve_secret(settings), 60).verify(token) == "cus_1"


def test_without_a_secret_postgresql_refuses_to_start() -> None:
    settings = Settings(database_url="postgresql+psycopg://postgres@127.0.0.1/none")
    with pytest.raises(ConfigurationError, match="SOUK_SECRET_KEY"):
        resolve_secret(settings)
