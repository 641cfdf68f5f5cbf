"""Tables of the catalog domain."""

from __future__ import annotations

from souk.db.base import Base

__all__ = ["Base"]
