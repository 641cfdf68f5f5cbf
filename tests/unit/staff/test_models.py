"""What each staff role may open, and which stores a member acts for — pure rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from souk.staff.models import SCREENS, Screen, StaffMember, StaffRole, hash_session_token


def member(role: StaffRole, stores: tuple[str, ...] = ()) -> StaffMember:
    return StaffMember(id="stf_1", email="a@example.com", name="A", role=role, stores=stores)


def test_each_role_opens_what_its_work_needs() -> None:
    assert member(StaffRole.ADMIN).may_open(Screen.WEBHOOKS)
    assert not member(StaffRole.OPERATIONS).may_open(Screen.CUSTOMERS)
    assert {s for s in Screen if member(StaffRole.STORE_MANAGER).may_open(s)} == {
        Screen.FULFILMENT,
        Screen.INVENTORY,
    }
    assert not member(StaffRole.MARKETER).may_open(Screen.FULFILMENT)
    assert all(SCREENS[role] <= SCREENS[StaffRole.ADMIN] for role in StaffRole)


@given(
    stores=st.sets(st.sampled_from(["store-a", "store-b", "store-c"]), min_size=1),
    location=st.sampled_from(["store-a", "store-b", "store-c", "wh-1"]),
)
def test_a_store_manager_acts_for_their_stores_only(stores: set[str], location: str) -> None:
    manager = member(StaffRole.STORE_MANAGER, tuple(sorted(stores)))
    assert manager.may_act_for(location) == (location in stores)
    assert member(StaffRole.OPERATIONS).may_act_for(location)


def test_session_tokens_are_stored_as_their_hash() -> None:
    assert hash_session_token("abc") != "abc"
    assert len(hash_session_token("abc")) == 64
    assert hash_session_token("abc") == hash_session_token("abc")
