"""A staff account's row read as the pure member the rules work with."""

from __future__ import annotations

from souk.staff.models import StaffMember, StaffRole
from souk.staff.tables import StaffRow


def member_of(row: StaffRow) -> StaffMember:
    return StaffMember(
        id=row.id,
        email=row.email,
        name=row.name,
        role=StaffRole(row.role),
        stores=tuple(row.stores or ()),
    )
