"""Tables of the customers domain."""

from __future__ import annotations

from souk.db.base import Base

__all__ = ["Base"]
