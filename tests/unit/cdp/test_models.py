"""Pure rules of ingestion and identity: normalisation, blocked values, the clock-skew
correction (a property: the send delay is kept exactly), identifiers of a message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from souk.cdp.models import (
    Identity,
    IdType,
    MessageInvalid,
    corrected_timestamp,
    identities_of,
    is_blocked,
    normalize,
    validate,
)

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(received=moments, sent=moments, delay_ms=st.integers(0, 10**9))
def test_the_corrected_timestamp_keeps_the_send_delay_exactly(
    received: datetime, sent: datetime, delay_ms: int
) -> None:
    original = sent - timedelta(milliseconds=delay_ms)
    corrected = corrected_timestamp(received_at=received, sent_at=sent, original=original)
    assert received - corrected == timedelta(milliseconds=delay_ms)


def test_without_sent_at_the_device_time_is_kept_and_without_a_time_it_is_arrival() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    earlier = now - timedelta(hours=1)
    assert corrected_timestamp(received_at=now, sent_at=None, original=earlier) == earlier
    assert corrected_timestamp(received_at=now, sent_at=now, original=None) == now


@pytest.mark.parametrize(
    "value",
    [
        "",
        "  ",
        "null",
        "NULL",
        "anonymous",
        "-1",
        "0",
        "0000",
        "00000000-0000-0000-0000-000000000000",
        "undefined",
    ],
)
def test_blocked_values_are_never_identifiers(value: str) -> None:
    assert is_blocked(value)
    assert normalize(IdType.USER_ID, value) is None


@given(st.text(min_size=1, max_size=40).filter(lambda s: not is_blocked(s)))
def test_normalising_is_idempotent(value: str) -> None:
    for kind in (IdType.EMAIL, IdType.USER_ID, IdType.PHONE):
        once = normalize(kind, value)
        if once is not None:
            assert normalize(kind, once) == once


def test_emails_and_phones_are_normalised() -> None:
    assert normalize(IdType.EMAIL, "  Anne@Example.COM ") == "anne@example.com"
    assert normalize(IdType.EMAIL, "no-at-sign") is None
    assert normalize(IdType.PHONE, "06 12 34 56 78", region="FR") == "+33612345678"
    assert normalize(IdType.PHONE, "+33 6 12 34 56 78") == "+33612345678"
    assert normalize(IdType.PHONE, "12") is None
    assert normalize(IdType.USER_ID, True) is None


def test_a_message_names_its_identifiers_in_priority_order() -> None:
    message = {
        "type": "identify",
        "anonymousId": "a-1",
        "userId": "u-1",
        "traits": {"email": "A@x.org", "loyalty_card": "LC-1"},
        "context": {"device": {"id": "dev-1"}},
    }
    assert identities_of(message) == [
        Identity(IdType.USER_ID, "u-1"),
        Identity(IdType.LOYALTY_CARD, "LC-1"),
        Identity(IdType.EMAIL, "a@x.org"),
        Identity(IdType.ANONYMOUS_ID, "a-1"),
        Identity(IdType.DEVICE_ID, "dev-1"),
    ]
    assert Identity(IdType.DEVICE_ID, "dev-1").claim is None  # shared: claims nobody


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ([], "JSON object"),
        ({"type": "warp", "userId": "u"}, "`type`"),
        ({"type": "track", "userId": "u"}, "`event`"),
        ({"type": "track", "event": "E", "context": {"device": {"id": "d"}}}, "required"),
        ({"type": "alias", "userId": "u"}, "previousId"),
        ({"type": "page", "userId": "u", "properties": []}, "`properties`"),
        ({"type": "page", "userId": "u", "properties": {"x": "y" * 40_000}}, "32 KB"),
    ],
)
def test_invalid_messages_say_why(message: object, reason: str) -> None:
    with pytest.raises(MessageInvalid, match=reason):
        validate(message)
