"""The page cache's rules, without a database."""

from __future__ import annotations

from souk.storefront.cache import PageCache, etag_of, matches


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_if_none_match_compares_weakly_against_each_tag_or_star() -> None:
    tag = etag_of(b"page")
    assert matches(tag, tag) and matches(f"W/{tag}", tag) and matches("*", tag)
    assert matches(f'"a", {tag}', tag)
    assert not matches(None, tag) and not matches("", tag) and not matches('"a", "b"', tag)


def test_an_entry_lives_ttl_seconds() -> None:
    clock = Clock()
    cache = PageCache(2.0, clock=clock)
    stored = cache.put("k", b"body", cache.generation)
    assert cache.get("k") == stored and stored.etag == etag_of(b"body")
    clock.now = 1.99
    assert cache.get("k") == stored
    clock.now = 2.0
    assert cache.get("k") is None


def test_a_page_built_across_a_change_is_not_kept() -> None:
    cache = PageCache(2.0, clock=Clock())
    generation = cache.generation
    cache.invalidate()  # a change committed while the page was being built
    answered = cache.put("k", b"old", generation)
    assert answered.body == b"old" and cache.get("k") is None


def test_invalidate_clears_everything_and_the_oldest_entries_go_first() -> None:
    cache = PageCache(2.0, max_entries=2, clock=Clock())
    for key in ("a", "b", "c"):
        cache.put(key, key.encode(), cache.generation)
    assert [cache.get(k) is not None for k in ("a", "b", "c")] == [False, True, True]
    cache.invalidate()
    assert cache.get("b") is None and cache.get("c") is None


def test_a_zero_lifetime_keeps_nothing_but_still_tags() -> None:
    cache = PageCache(0, clock=Clock())
    assert cache.put("k", b"x", cache.generation).etag == etag_of(b"x")
    assert cache.get("k") is None
