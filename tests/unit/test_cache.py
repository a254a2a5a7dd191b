"""The in-container introspection cache: per-entry TTL and least-recently-used eviction."""

from __future__ import annotations

from phantom_token.cache import TtlLruCache
from phantom_token.introspection import Introspection


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def result(name: str) -> Introspection:
    return Introspection(f"{name}.jwt.sig", {"sub": name}, None, False)


def test_entry_lives_exactly_its_ttl() -> None:
    # GIVEN an entry stored for 60 seconds
    clock = Clock()
    cache = TtlLruCache(10, clock)
    cache.put(b"k", result("a"), 60)
    # WHEN the clock reaches just before and exactly its expiry
    clock.now += 59.999
    before = cache.get(b"k")
    clock.now += 0.001
    after = cache.get(b"k")
    # THEN it is found before, gone at expiry, and removed from the cache
    assert before == result("a")
    assert after is None
    assert len(cache) == 0


def test_entries_expire_independently() -> None:
    # GIVEN entries with different TTLs
    clock = Clock()
    cache = TtlLruCache(10, clock)
    cache.put(b"short", result("s"), 5)
    cache.put(b"long", result("l"), 50)
    # WHEN 10 seconds pass
    clock.now += 10
    # THEN only the long one is left
    assert cache.get(b"short") is None
    assert cache.get(b"long") == result("l")


def test_put_with_zero_or_negative_ttl_stores_nothing_and_forgets_the_old_value() -> None:
    # GIVEN a cached entry
    cache = TtlLruCache(10, Clock())
    cache.put(b"k", result("old"), 60)
    # WHEN the same key is stored with TTL 0, and another with a negative TTL
    cache.put(b"k", result("new"), 0)
    cache.put(b"other", result("x"), -3)
    # THEN neither is cached and the old value is gone
    assert cache.get(b"k") is None
    assert cache.get(b"other") is None
    assert len(cache) == 0


def test_least_recently_used_entry_goes_first() -> None:
    # GIVEN a cache of two holding a and b, where a was read after b was stored
    cache = TtlLruCache(2, Clock())
    cache.put(b"a", result("a"), 60)
    cache.put(b"b", result("b"), 60)
    assert cache.get(b"a") == result("a")
    # WHEN a third entry arrives
    cache.put(b"c", result("c"), 60)
    # THEN b, the least recently used, was evicted
    assert len(cache) == 2
    assert cache.get(b"b") is None
    assert cache.get(b"a") == result("a")
    assert cache.get(b"c") == result("c")


def test_storing_again_refreshes_recency_and_value() -> None:
    # GIVEN a cache of two holding a then b
    clock = Clock()
    cache = TtlLruCache(2, clock)
    cache.put(b"a", result("a1"), 10)
    cache.put(b"b", result("b"), 60)
    # WHEN a is stored again with a new value and TTL, then c arrives
    cache.put(b"a", result("a2"), 60)
    cache.put(b"c", result("c"), 60)
    clock.now += 30
    # THEN b went, and a holds its new value with its new TTL
    assert cache.get(b"b") is None
    assert cache.get(b"a") == result("a2")


def test_bound_of_one() -> None:
    # GIVEN a cache bounded to one entry
    cache = TtlLruCache(1, Clock())
    # WHEN two entries are stored
    cache.put(b"a", result("a"), 60)
    cache.put(b"b", result("b"), 60)
    # THEN only the last one is kept
    assert len(cache) == 1
    assert cache.get(b"a") is None
    assert cache.get(b"b") == result("b")
