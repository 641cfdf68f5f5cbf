"""Engagement's pure rules: assignment is a function of (experiment, profile) and follows
the weights; locales fall back from region to language to the default; quiet hours end
at the right local time, across midnight and time zones."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from souk.engagement.models import Variant, assign, bucket, pick_locale, quiet_until

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=30)
variant_lists = st.lists(
    st.tuples(ids, st.integers(min_value=1, max_value=100)),
    min_size=2,
    max_size=6,
    unique_by=lambda v: v[0],
).map(lambda vs: [Variant(n, w) for n, w in vs])


@given(ids, ids, variant_lists)
def test_assignment_is_deterministic_and_one_of_the_variants(
    experiment: str, profile: str, variants: list[Variant]
) -> None:
    first = assign(experiment, profile, variants)
    assert first == assign(experiment, profile, list(variants))
    assert first in {v.name for v in variants}
    assert 0 <= bucket(experiment, profile) < 1


def test_assignment_follows_the_weights() -> None:
    variants = [Variant("a", 1), Variant("b", 3)]
    counts = {"a": 0, "b": 0}
    for i in range(20_000):
        counts[assign("exp_weights", f"prof_{i}", variants)] += 1
    assert 0.23 < counts["a"] / 20_000 < 0.27


def test_locale_fallback() -> None:
    available = ["en", "fr", "pt-BR"]
    assert pick_locale(available, ["fr-CA"], "en") == "fr"
    assert pick_locale(available, ["pt-PT"], "en") == "pt-BR"
    assert pick_locale(available, [None, "fr"], "en") == "fr"
    assert pick_locale(available, ["ja"], "en") == "en"
    assert pick_locale(["de", "fr"], ["ja"], "en") == "de"


def test_quiet_hours_across_midnight_in_the_local_zone() -> None:
    tokyo, start, end = ZoneInfo("Asia/Tokyo"), time(21), time(8)
    late = datetime(2030, 3, 1, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo
    assert quiet_until(late, tokyo, start, end) == datetime(2030, 3, 1, 23, 0, tzinfo=UTC)
    early = datetime(2030, 3, 1, 20, 0, tzinfo=UTC)  # 05:00 the next day in Tokyo
    assert quiet_until(early, tokyo, start, end) == datetime(2030, 3, 1, 23, 0, tzinfo=UTC)
    noon = datetime(2030, 3, 1, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo
    assert quiet_until(noon, tokyo, start, end) is None
    assert quiet_until(late, tokyo, time(0), time(0)) is None
    paris = ZoneInfo("Europe/Paris")
    lunch = datetime(2030, 7, 1, 10, 30, tzinfo=UTC)  # 12:30 in Paris (summer time)
    assert quiet_until(lunch, paris, time(12), time(14)) == datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
