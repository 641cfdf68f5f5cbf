"""The pure inventory rules: movements, figures, buffers, transfers, distances."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from souk.errors import ValidationFailed
from souk.inventory.models import (
    BoundingBox,
    MovementType,
    StockFigures,
    TransferStatus,
    bounding_box,
    haversine_km,
    movement_delta,
    transfer_step,
    withheld,
)


@pytest.mark.parametrize(
    ("type_", "quantity", "on_hand", "delta"),
    [
        (MovementType.RECEIPT, 5, 2, 5),
        (MovementType.RETURN, 1, 0, 1),
        (MovementType.TRANSFER_IN, 3, 0, 3),
        (MovementType.SALE, 2, 9, -2),
        (MovementType.DAMAGE, 1, 9, -1),
        (MovementType.TRANSFER_OUT, 4, 9, -4),
        (MovementType.ADJUSTMENT, -3, 9, -3),
        (MovementType.ADJUSTMENT, 3, 9, 3),
        (MovementType.COUNT, 4, 9, -5),
        (MovementType.COUNT, 12, 9, 3),
        (MovementType.COUNT, 0, 9, -9),
        (MovementType.COUNT, 9, 9, 0),
    ],
)
def test_movement_delta_follows_the_type(
    type_: MovementType, quantity: int, on_hand: int, delta: int
) -> None:
    assert movement_delta(type_, quantity, on_hand) == delta


@pytest.mark.parametrize(
    ("type_", "quantity", "message"),
    [
        (MovementType.RECEIPT, 0, "must be a positive number of units"),
        (MovementType.SALE, -2, "must be a positive number of units"),
        (MovementType.ADJUSTMENT, 0, "an adjustment of 0 changes nothing"),
        (MovementType.COUNT, -1, "a count cannot be below zero"),
    ],
)
def test_meaningless_movements_are_refused(
    type_: MovementType, quantity: int, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        movement_delta(type_, quantity, 5)
    assert refused.value.errors[0]["field"] == "body.quantity"
    assert message in refused.value.errors[0]["message"]


def test_available_subtracts_commitments_and_never_shows_below_zero() -> None:
    assert StockFigures(on_hand=10, reserved=2, allocated=3, safety_stock=1).available == 4
    assert StockFigures(on_hand=3, reserved=4).available == 0
    assert StockFigures(on_hand=-2).available == 0


@given(
    on_hand=st.integers(-50, 500),
    reserved=st.integers(0, 500),
    allocated=st.integers(0, 500),
    safety=st.integers(0, 50),
)
def test_available_is_never_negative(
    on_hand: int, reserved: int, allocated: int, safety: int
) -> None:
    figures = StockFigures(on_hand, reserved, allocated, safety)
    assert figures.available == max(0, on_hand - reserved - allocated - safety)


@pytest.mark.parametrize(
    ("total", "units", "percent", "held"),
    [
        (10, 2, None, 2),
        (1, 2, None, 1),
        (10, None, Decimal(25), 3),  # 2.5 rounded up: a lagging feed never gets the last unit
        (1, None, Decimal(50), 1),
        (10, None, Decimal(0), 0),
        (0, 5, None, 0),
        (10, None, None, 0),
    ],
)
def test_buffers_withhold_units_or_a_percentage_rounded_up(
    total: int, units: int | None, percent: Decimal | None, held: int
) -> None:
    assert withheld(total, units=units, percent=percent) == held


def test_transfer_steps_go_one_way() -> None:
    assert transfer_step("ship", TransferStatus.REQUESTED) is TransferStatus.SHIPPED
    assert transfer_step("receive", TransferStatus.SHIPPED) is TransferStatus.RECEIVED
    assert transfer_step("cancel", TransferStatus.REQUESTED) is TransferStatus.CANCELLED
    assert transfer_step("receive", TransferStatus.REQUESTED) is None
    assert transfer_step("cancel", TransferStatus.SHIPPED) is None
    assert transfer_step("ship", TransferStatus.RECEIVED) is None


def test_haversine_matches_known_distances() -> None:
    # Paris (Notre-Dame) to London (Trafalgar Square): about 343.5 km great-circle.
    assert haversine_km(48.8530, 2.3499, 51.5080, -0.1281) == pytest.approx(343.5, abs=1.0)
    # A quarter of a meridian.
    assert haversine_km(0, 0, 90, 0) == pytest.approx(10007.5, abs=1.0)
    assert haversine_km(10, 20, 10, 20) == 0


@given(
    lat=st.floats(-80, 80),
    lon=st.floats(-180, 180),
    radius=st.floats(0.1, 500),
    bearing_lat=st.floats(-1, 1),
    bearing_lon=st.floats(-1, 1),
)
def test_every_point_within_the_radius_is_inside_the_bounding_box(
    lat: float, lon: float, radius: float, bearing_lat: float, bearing_lon: float
) -> None:
    box = bounding_box(lat, lon, radius)
    # a point somewhere around the centre, wrapped onto the globe
    p_lat = max(-90.0, min(90.0, lat + bearing_lat * radius / 111))
    p_lon = (lon + bearing_lon * radius / 40 + 180) % 360 - 180
    if haversine_km(lat, lon, p_lat, p_lon) <= radius:
        assert _inside(box, p_lat, p_lon)


def _inside(box: BoundingBox, lat: float, lon: float) -> bool:
    if not box.min_lat - 1e-9 <= lat <= box.max_lat + 1e-9:
        return False
    return not box.lon_ranges or any(lo - 1e-9 <= lon <= hi + 1e-9 for lo, hi in box.lon_ranges)


def test_a_box_across_the_antimeridian_has_two_longitude_ranges() -> None:
    box = bounding_box(-17.7, 179.9, 50)  # Fiji
    assert len(box.lon_ranges) == 2
    assert _inside(box, -17.7, -179.9)
    assert bounding_box(89.9, 0, 50).lon_ranges == ()  # near a pole: any longitude
