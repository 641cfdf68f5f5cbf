"""Tables of the orders domain."""

from __future__ import annotations

from souk.db.base import Base

__all__ = ["Base"]
