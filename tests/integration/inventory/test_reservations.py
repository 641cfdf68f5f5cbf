"""Reservations and allocations through the service functions, on both back ends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from souk.channels.models import Channel
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, NotFound, OutOfStock, ValidationFailed
from souk.inventory import availability, reservation_service, reservations
from souk.inventory.models import ReservationInfo, ReservedLine, ReserveLine
from souk.inventory.stock import read_stock
from tests.integration.inventory import factories as f
from tests.support.statements import counting

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=utcnow().tzinfo)


@pytest.fixture
def web(db: Database) -> Channel:
    f.location(db, "wh-1")
    f.location(db, "wh-2")
    f.location(db, "store-1", type="store", can_pickup=True)
    f.variant(db, "TEE-M")
    f.variant(db, "CAP")
    f.receive(db, "TEE-M", "wh-1", 3, now=T0)
    f.receive(db, "TEE-M", "wh-2", 5, now=T0)
    f.receive(db, "CAP", "wh-1", 1, now=T0)
    return f.channel(db, "web", ship_from=("wh-1", "wh-2"), pickup_at=("store-1",))


def reserve(
    db: Database, channel: Channel, *lines: ReserveLine, now: datetime = T0, minutes: int = 15
) -> ReservationInfo:
    with UnitOfWork(db) as uow:
        info = reservations.reserve(
            session=uow.session,
            channel=channel,
            lines=list(lines),
            expires_at=now + timedelta(minutes=minutes),
            now=now,
        )
        uow.commit()
        return info


def atp(db: Database, channel: Channel, *skus: str, now: datetime = T0) -> dict[str, int]:
    with UnitOfWork(db, write=False) as uow:
        return availability.atp(session=uow.session, channel=channel, skus=skus, now=now)


def test_a_line_draws_from_the_first_location_that_covers_it_whole(
    db: Database, web: Channel
) -> None:
    info = reserve(db, web, ReserveLine("TEE-M", 4))
    assert info.lines == [ReservedLine("TEE-M", "wh-2", 4)]
    assert atp(db, web, "TEE-M") == {"TEE-M": 4}


def test_a_line_no_location_can_cover_is_split_in_channel_order(db: Database, web: Channel) -> None:
    info = reserve(db, web, ReserveLine("TEE-M", 7))
    assert sorted(info.lines) == [
        ReservedLine("TEE-M", "wh-1", 3),
        ReservedLine("TEE-M", "wh-2", 4),
    ]
    assert atp(db, web, "TEE-M") == {"TEE-M": 1}


def test_two_lines_on_one_sku_are_checked_against_the_same_stock(
    db: Database, web: Channel
) -> None:
    with pytest.raises(OutOfStock) as short:
        reserve(db, web, ReserveLine("TEE-M", 5), ReserveLine("TEE-M", 4))
    assert short.value.lines == [{"sku": "TEE-M", "requested": 9, "available": 8}]
    assert atp(db, web, "TEE-M") == {"TEE-M": 8}


def test_a_cart_is_reserved_whole_or_not_at_all(db: Database, web: Channel) -> None:
    with pytest.raises(OutOfStock) as short:
        reserve(db, web, ReserveLine("TEE-M", 2), ReserveLine("CAP", 2))
    assert short.value.lines == [{"sku": "CAP", "requested": 2, "available": 1}]
    assert atp(db, web, "TEE-M", "CAP") == {"TEE-M": 8, "CAP": 1}


def test_a_line_may_name_its_location(db: Database, web: Channel) -> None:
    f.receive(db, "CAP", "store-1", 2, now=T0)
    info = reserve(db, web, ReserveLine("CAP", 2, "store-1"))
    assert info.lines == [ReservedLine("CAP", "store-1", 2)]
    with pytest.raises(OutOfStock) as short:
        reserve(db, web, ReserveLine("CAP", 1, "store-1"))
    assert short.value.lines == [
        {"sku": "CAP", "location": "store-1", "requested": 1, "available": 0}
    ]


def test_expired_reservations_never_count(db: Database, web: Channel) -> None:
    reserve(db, web, ReserveLine("CAP", 1), minutes=10)
    assert atp(db, web, "CAP", now=T0 + timedelta(minutes=9)) == {"CAP": 0}
    later = T0 + timedelta(minutes=10)
    assert atp(db, web, "CAP", now=later) == {"CAP": 1}
    # The expired units are taken again, lazily released inside the new reservation.
    again = reserve(db, web, ReserveLine("CAP", 1), now=later)
    assert again.lines == [ReservedLine("CAP", "wh-1", 1)]
    assert atp(db, web, "CAP", now=later) == {"CAP": 0}


def test_allocation_turns_a_reservation_into_a_commitment(db: Database, web: Channel) -> None:
    info = reserve(db, web, ReserveLine("TEE-M", 2))
    with UnitOfWork(db) as uow:
        made = reservations.allocate(
            session=uow.session, reservation_id=info.id, reference="ord_1", now=T0
        )
        uow.commit()
    assert [(a.sku, a.location, a.quantity, a.reference) for a in made] == [
        ("TEE-M", "wh-1", 2, "ord_1")
    ]
    # An allocation does not expire with the reservation it came from.
    assert atp(db, web, "TEE-M", now=T0 + timedelta(days=1)) == {"TEE-M": 6}
    with UnitOfWork(db) as uow, pytest.raises(InvalidState):
        reservations.release(session=uow.session, reservation_id=info.id, now=T0)


def test_a_reservation_allocated_right_after_reserving_is_labelled_without_a_read(
    db: Database, web: Channel
) -> None:
    # Given a reservation drawn from two warehouses (the tees split: 3 in wh-1, 4 in wh-2)
    info = reserve(db, web, ReserveLine("TEE-M", 7), ReserveLine("CAP", 1))
    assert sorted(info.stock.values()) == [("CAP", "wh-1"), ("TEE-M", "wh-1"), ("TEE-M", "wh-2")]
    # When it is allocated with the stock rows the reserving read (a checkout's)
    with UnitOfWork(db) as uow, counting(db.engine) as count:
        made = reservations.allocate(
            session=uow.session, reservation_id=info.id, reference="ord_2", now=T0,
            stock=info.stock,
        )  # fmt: skip
        uow.commit()
    # Then each allocation names its SKU and location, and no stock row was read for them
    assert sorted((a.sku, a.location, a.quantity) for a in made) == [
        ("CAP", "wh-1", 1), ("TEE-M", "wh-1", 3), ("TEE-M", "wh-2", 4),
    ]  # fmt: skip
    assert not [s for s in count.statements if s.startswith("SELECT")]


def test_stock_rows_the_caller_does_not_know_are_read_to_label_allocations(
    db: Database, web: Channel
) -> None:
    # Given a reservation, and a caller that knows only one of its stock rows
    info = reserve(db, web, ReserveLine("TEE-M", 7))
    partial = dict(list(info.stock.items())[:1])
    with UnitOfWork(db) as uow:
        made = reservations.allocate(
            session=uow.session, reservation_id=info.id, reference="ord_3", now=T0,
            stock=partial,
        )  # fmt: skip
        uow.commit()
    # Then every allocation is labelled all the same
    assert sorted((a.sku, a.location, a.quantity) for a in made) == [
        ("TEE-M", "wh-1", 3), ("TEE-M", "wh-2", 4),
    ]  # fmt: skip


def test_an_expired_reservation_cannot_be_allocated(db: Database, web: Channel) -> None:
    info = reserve(db, web, ReserveLine("TEE-M", 2), minutes=1)
    with UnitOfWork(db) as uow, pytest.raises(InvalidState, match="expired"):
        reservations.allocate(
            session=uow.session,
            reservation_id=info.id,
            reference="ord_1",
            now=T0 + timedelta(minutes=1),
        )


def test_release_is_idempotent_and_frees_the_units(db: Database, web: Channel) -> None:
    info = reserve(db, web, ReserveLine("CAP", 1))
    for _ in range(2):
        with UnitOfWork(db) as uow:
            reservations.release(session=uow.session, reservation_id=info.id, now=T0)
            uow.commit()
    assert atp(db, web, "CAP") == {"CAP": 1}
    with UnitOfWork(db) as uow, pytest.raises(NotFound):
        reservations.release(session=uow.session, reservation_id="res_nope")


def test_a_variant_that_allows_backorders_is_reserved_beyond_stock(db: Database) -> None:
    f.location(db, "wh-1")
    f.variant(db, "PRE", allow_backorder=True)
    channel = f.channel(db, "web", ship_from=("wh-1",))
    info = reserve(db, channel, ReserveLine("PRE", 3))
    assert info.lines == [ReservedLine("PRE", "wh-1", 3)]
    assert atp(db, channel, "PRE") == {"PRE": 0}


def test_bad_lines_are_refused_listing_each_field(db: Database, web: Channel) -> None:
    with pytest.raises(ValidationFailed) as bad:
        reserve(db, web, ReserveLine("NOPE", 1), ReserveLine("CAP", 0, "nowhere"))
    assert {e["field"] for e in bad.value.errors} == {
        "body.lines.0.sku",
        "body.lines.1.quantity",
        "body.lines.1.location",
    }


def test_the_sweeper_only_tidies_what_already_does_not_count(db: Database, web: Channel) -> None:
    # given one expired and one live reservation
    expired = reserve(db, web, ReserveLine("TEE-M", 2), minutes=5)
    live = reserve(db, web, ReserveLine("CAP", 1), minutes=60)
    later = T0 + timedelta(minutes=10)
    assert atp(db, web, "TEE-M", "CAP", now=later) == {"TEE-M": 8, "CAP": 0}
    # when the sweeper runs
    assert reservation_service.sweep_expired(uow=UnitOfWork(db), now=later) == 1
    # then the expired one is marked, the live one untouched, and availability unchanged
    with UnitOfWork(db, write=False) as uow:
        swept = reservations.get_reservation(
            session=uow.session, reservation_id=expired.id, now=later
        )
        kept = reservations.get_reservation(session=uow.session, reservation_id=live.id, now=later)
        figures = read_stock(uow.session, now=later, variant_ids=None)
    assert (swept.status, kept.status) == ("expired", "active")
    assert atp(db, web, "TEE-M", "CAP", now=later) == {"TEE-M": 8, "CAP": 0}
    assert sum(s.figures.reserved for s in figures.values()) == 1
    assert reservation_service.sweep_expired(uow=UnitOfWork(db), now=later) == 0
