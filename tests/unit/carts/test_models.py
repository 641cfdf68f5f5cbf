"""Cart rules: listing windows, merge rule."""

from __future__ import annotations

from datetime import timedelta

from souk.carts.models import MAX_LINE_QUANTITY, Issue, listing_issue, merged_quantity
from souk.catalog.models import HoldStock, ListingState
from souk.db.base import utcnow

NOW = utcnow()


def _listing(
    published: bool = True, opens: int | None = None, closes: int | None = None
) -> ListingState:
    return ListingState(
        published=published,
        available_from=NOW + timedelta(hours=opens) if opens is not None else None,
        available_until=NOW + timedelta(hours=closes) if closes is not None else None,
        hold_stock=HoldStock.CHECKOUT,
        hold_minutes=None,
    )


def test_an_open_listing_has_no_issue() -> None:
    assert listing_issue(_listing(), NOW) is None
    assert listing_issue(_listing(opens=-1, closes=1), NOW) is None


def test_a_drop_before_it_opens_and_after_it_closes() -> None:
    assert listing_issue(_listing(opens=1, closes=25), NOW) is Issue.NOT_YET_AVAILABLE
    assert listing_issue(_listing(opens=-25, closes=-1), NOW) is Issue.NO_LONGER_AVAILABLE


def test_unlisted_and_unpublished() -> None:
    assert listing_issue(None, NOW) is Issue.NOT_LISTED
    assert listing_issue(_listing(published=False), NOW) is Issue.NO_LONGER_AVAILABLE


def test_merge_keeps_the_larger_quantity_within_the_limit() -> None:
    assert merged_quantity(1, 1) == 1
    assert merged_quantity(2, 5) == 5
    assert merged_quantity(5, 2) == 5
    assert merged_quantity(MAX_LINE_QUANTITY, MAX_LINE_QUANTITY) == MAX_LINE_QUANTITY
