"""Staff roles and what each may see — pure rules, no persistence."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from enum import StrEnum


class StaffRole(StrEnum):
    ADMIN = "admin"
    OPERATIONS = "operations"
    STORE_MANAGER = "store_manager"
    MARKETER = "marketer"


class Screen(StrEnum):
    DASHBOARD = "dashboard"
    ORDERS = "orders"
    FULFILMENT = "fulfilment"
    INVENTORY = "inventory"
    CATALOG = "catalog"
    CUSTOMERS = "customers"
    MARKETING = "marketing"
    WEBHOOKS = "webhooks"


# Who opens which screen. A store manager works the stores they were given: their queues
# and stock, never another store's; marketers look at customers, offers and the figures.
SCREENS: dict[StaffRole, frozenset[Screen]] = {
    StaffRole.ADMIN: frozenset(Screen),
    StaffRole.OPERATIONS: frozenset(
        {Screen.DASHBOARD, Screen.ORDERS, Screen.FULFILMENT, Screen.INVENTORY, Screen.CATALOG}
    ),
    StaffRole.STORE_MANAGER: frozenset({Screen.FULFILMENT, Screen.INVENTORY}),
    StaffRole.MARKETER: frozenset(
        {Screen.DASHBOARD, Screen.CATALOG, Screen.CUSTOMERS, Screen.MARKETING}
    ),
}


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: str
    email: str
    name: str
    role: StaffRole
    stores: tuple[str, ...] = field(default=())

    def may_open(self, screen: Screen) -> bool:
        return screen in SCREENS[self.role]

    @property
    def bound_to_stores(self) -> bool:
        return self.role is StaffRole.STORE_MANAGER

    def may_act_for(self, location: str) -> bool:
        return not self.bound_to_stores or location in self.stores


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def hash_session_token(token: str) -> str:
    # 256 random bits: a fast hash keeps a stolen table from being replayed as cookies.
    return hashlib.sha256(token.encode()).hexdigest()
