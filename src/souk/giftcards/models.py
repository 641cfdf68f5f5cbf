"""Gift-card rules that need no database: codes, entry types and what each does."""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

# No 0/O, 1/I/L: codes are typed from printed cards and read aloud at tills.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_CHARS = 20  # 31^20 ≈ 2^99 — a bearer secret, not guessable like a coupon


class EntryType(StrEnum):
    ISSUE = "issue"
    REDEEM = "redeem"
    REFUND = "refund"
    ADJUST = "adjust"
    EXPIRE = "expire"


class Status(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    EXPIRED = "expired"


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


def normalize(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def digest(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()
