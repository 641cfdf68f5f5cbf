"""Souk's promotions and a country's public holidays as the effect columns of a series:
which promotions are about a SKU, how much of each period they cover, and holidays per
period from the `holidays` calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from souk.forecasting.models import Frequency
from souk.forecasting.regressors import Calendars, effects_of, windows_of
from souk.forecasting.series import DemandSeries
from souk.promotions.models import Action, ActionType, Conditions, Promotion, Target

OFF = (Action(ActionType.PERCENT_OFF, Target.LINES),)
START = date(2026, 11, 30)  # a Monday


def _promotion(
    id_: str, starts: datetime | None, ends: datetime | None, **conditions: frozenset[str]
) -> Promotion:
    return Promotion(id_, id_, OFF, Conditions(**conditions), starts_at=starts, ends_at=ends)


def _at(day: int, hour: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _series(weeks: int = 3) -> DemandSeries:
    return DemandSeries("TEE-M", "store-paris", START, np.full(weeks, 5.0))


def test_promotions_about_the_sku_cover_the_share_of_each_week_they_were_live() -> None:
    promotions = [
        # Wednesday 10:00 to Friday midnight: live on Wednesday and Thursday of week 1
        _promotion("prm_sku", _at(2, 10), _at(4), skus=frozenset({"TEE-M"})),
        # by its category, the whole of week 3 (planned: the horizon)
        _promotion("prm_cat", _at(21), _at(28), categories=frozenset({"tops"})),
        # about every line, from Sunday of week 2 on, open-ended
        _promotion("prm_all", _at(13), None),
        # another SKU's, and one always live: neither is an effect on this series
        _promotion("prm_other", _at(1), _at(3), skus=frozenset({"CAP"})),
        _promotion("prm_always", None, None),
    ]
    found = effects_of(
        _series(), freq=Frequency.WEEK, h=2, category="tops", country=None,
        windows=windows_of(promotions), calendars=Calendars(range(2026, 2028)),
    )  # fmt: skip
    assert found.effects is not None and found.effects.names == ("promotion",)
    assert found.effects.history[:, 0].tolist() == [2 / 7, 1 / 7, 1.0]
    assert found.effects.future is not None
    assert found.effects.future[:, 0].tolist() == [1.0, 1.0]  # prm_all stays live
    assert found.promotions == ("prm_all", "prm_cat", "prm_sku")
    assert found.notes == ()


def test_a_sku_no_promotion_is_about_has_no_promotion_column() -> None:
    promotions = [_promotion("prm_other", _at(1), _at(3), skus=frozenset({"CAP"}))]
    found = effects_of(
        _series(), freq=Frequency.WEEK, h=2, category="tops", country=None,
        windows=windows_of(promotions), calendars=Calendars(range(2026, 2028)),
    )  # fmt: skip
    assert (found.effects, found.promotions) == (None, ())


def test_public_holidays_of_the_locations_country_are_counted_per_period() -> None:
    calendars = Calendars(range(2026, 2028))
    weekly = effects_of(
        DemandSeries("TEE-M", "store-paris", date(2026, 12, 14), np.ones(2)),
        freq=Frequency.WEEK, h=2, category=None, country="FR", windows=[], calendars=calendars,
    )  # fmt: skip
    assert weekly.effects is not None and weekly.effects.names == ("holidays:FR",)
    # 14 Dec: none; 21 Dec: Christmas; 28 Dec: New Year's Day 2027; 4 Jan: none
    assert weekly.effects.history[:, 0].tolist() == [0.0, 1.0]
    assert weekly.effects.future is not None
    assert weekly.effects.future[:, 0].tolist() == [1.0, 0.0]
    daily = effects_of(
        DemandSeries("TEE-M", "store-paris", date(2026, 12, 24), np.ones(2)),
        freq=Frequency.DAY, h=2, category=None, country="FR", windows=[], calendars=calendars,
    )  # fmt: skip
    assert daily.effects is not None and daily.effects.future is not None
    assert daily.effects.history[:, 0].tolist() == [0.0, 1.0]  # 24 and 25 December
    assert daily.effects.future[:, 0].tolist() == [0.0, 0.0]
    # A country the calendar does not know: no holiday column, and said so
    unknown = effects_of(
        _series(), freq=Frequency.WEEK, h=2, category=None, country="XX", windows=[],
        calendars=calendars,
    )  # fmt: skip
    assert unknown.effects is None
    assert unknown.notes == ("holidays: no public-holiday calendar for country 'XX'",)
