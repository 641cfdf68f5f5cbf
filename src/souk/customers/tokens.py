"""Signed, expiring customer tokens (JWT, HS256) and where their secret comes from.

The secret is `SOUK_SECRET_KEY`. Unset on the embedded SQLite database, a random one is
generated once and kept in a file beside the database (`var/secret_key`, mode 0600), so that
tokens survive a restart and every worker of one server agrees on it. Unset on PostgreSQL,
Souk refuses to start: several servers share that database, and each would otherwise invent
a secret of its own and reject the others' tokens.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import jwt
from sqlalchemy.engine import make_url

from souk.db.base import utcnow
from souk.errors import Unauthorized
from souk.settings import Settings

ISSUER = "souk"
AUDIENCE = "souk:customer"
ALGORITHM = "HS256"
SECRET_FILE = "secret_key"


class ConfigurationError(RuntimeError):
    """A setting that must be given before Souk can start."""


def secret_file_for(settings: Settings) -> Path | None:
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        return None
    return Path(database).parent / SECRET_FILE


def _read_or_create(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        os.chmod(scratch, 0o600)
        # A hard link fails if the file exists: of workers starting together, exactly one
        # creates it and every one reads the same secret.
        with contextlib.suppress(FileExistsError):
            os.link(scratch, path)
    finally:
        os.unlink(scratch)
    return path.read_text().strip()


def resolve_secret(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    if not settings.is_sqlite:
        raise ConfigurationError(
            "SOUK_SECRET_KEY is not set. On PostgreSQL every server must sign customer tokens "
            "with the same secret: set SOUK_SECRET_KEY to at least 32 random characters "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )
    path = secret_file_for(settings)
    if path is None:
        return secrets.token_urlsafe(48)
    return _read_or_create(path)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


class TokenSigner:
    def __init__(self, secret: str, ttl_s: int) -> None:
        self._secret = secret
        self.ttl = timedelta(seconds=ttl_s)

    def issue(self, customer_id: str, *, now: datetime | None = None) -> IssuedToken:
        issued = now or utcnow()
        expires = issued + self.ttl
        claims = {
            "sub": customer_id,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
        }
        return IssuedToken(jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires)

    def verify(self, token: str) -> str:
        """The customer id the token was issued to; Unauthorized if tampered or expired."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The customer token has expired: sign in again") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("The customer token is not valid") from exc
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise Unauthorized("The customer token is not valid")
        return subject


def looks_like_token(credential: str) -> bool:
    """Customer tokens are JWTs (three dot-separated parts); API keys never contain a dot."""
    return credential.count(".") == 2
