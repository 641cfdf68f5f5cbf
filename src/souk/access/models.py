"""Roles, principals and key material — pure rules, no persistence."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    STOREFRONT = "storefront"
    POS = "pos"
    INGEST = "ingest"


KEY_PREFIX = {Role.ADMIN: "sk", Role.POS: "sk_pos", Role.STOREFRONT: "pk", Role.INGEST: "wk"}


def generate_key(role: Role) -> str:
    return f"{KEY_PREFIX[role]}_{secrets.token_urlsafe(32)}"


def hash_key(secret: str) -> str:
    # Keys are 256 bits of randomness, so a fast hash is enough: no dictionary to guess from.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Whoever is calling: an API key's identity, role and bindings."""

    key_id: str
    role: Role
    channel: str | None = None
    location: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
