"""The in-container introspection cache: per-entry TTL, least-recently-used eviction by
entries and by bytes, and an honest estimate of each entry's bytes."""

from __future__ import annotations

import gc
import hashlib
import sys
import tracemalloc

import pytest

from phantom_token.cache import ENTRY_OVERHEAD_BYTES, TtlLruCache, estimated_size
from phantom_token.introspection import HttpResponse, Introspection, interpret
from tests.support.jwts import make_jwt

UNBOUNDED = 1 << 40


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
    cache = TtlLruCache(10, UNBOUNDED, clock)
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
    cache = TtlLruCache(10, UNBOUNDED, clock)
    cache.put(b"short", result("s"), 5)
    cache.put(b"long", result("l"), 50)
    # WHEN 10 seconds pass
    clock.now += 10
    # THEN only the long one is left
    assert cache.get(b"short") is None
    assert cache.get(b"long") == result("l")


def test_put_with_zero_or_negative_ttl_stores_nothing_and_forgets_the_old_value() -> None:
    # GIVEN a cached entry
    cache = TtlLruCache(10, UNBOUNDED, Clock())
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
    cache = TtlLruCache(2, UNBOUNDED, Clock())
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
    cache = TtlLruCache(2, UNBOUNDED, clock)
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
    cache = TtlLruCache(1, UNBOUNDED, Clock())
    # WHEN two entries are stored
    cache.put(b"a", result("a"), 60)
    cache.put(b"b", result("b"), 60)
    # THEN only the last one is kept
    assert len(cache) == 1
    assert cache.get(b"a") is None
    assert cache.get(b"b") == result("b")


# ----- the byte bound ----------------------------------------------------------------------


def sized(name: str, padding: int = 0) -> Introspection:
    return Introspection(f"{name}.{'p' * padding}.sig", {"sub": name}, None, False)


def test_bytes_bound_evicts_the_least_recently_used() -> None:
    # GIVEN a cache whose byte bound holds exactly three entries of equal size
    one = estimated_size(sized("a"))
    cache = TtlLruCache(100, 3 * one, Clock())
    for name in ("a", "b", "c"):
        cache.put(name.encode(), sized(name), 60)
    assert cache.get(b"a") == sized("a")
    # WHEN a fourth arrives
    cache.put(b"d", sized("d"), 60)
    # THEN b, the least recently used, went, and the bytes stay within the bound
    assert [cache.get(k) is not None for k in (b"a", b"b", b"c", b"d")] == [True, False, True, True]
    assert cache.size_bytes == 3 * one


def test_a_large_entry_evicts_as_many_as_it_needs() -> None:
    # GIVEN a cache of 10 KiB holding small entries
    cache = TtlLruCache(100, 10_000, Clock())
    for n in range(5):
        cache.put(b"%d" % n, sized(str(n)), 60)
    # WHEN an entry of about 6 KB arrives
    cache.put(b"big", sized("big", 6000), 60)
    # THEN the oldest small entries went until it fitted
    assert cache.get(b"big") is not None
    assert cache.size_bytes <= 10_000
    kept = [n for n in range(5) if cache.get(b"%d" % n) is not None]
    assert kept == list(range(5 - len(kept), 5))
    assert 0 < len(kept) < 5


def test_an_entry_larger_than_the_bound_is_not_cached() -> None:
    # GIVEN a cache of 4 KB holding an entry for the key
    cache = TtlLruCache(100, 4000, Clock())
    cache.put(b"k", sized("old"), 60)
    cache.put(b"other", sized("other"), 60)
    # WHEN the key is stored again with a value larger than the whole bound
    cache.put(b"k", sized("huge", 5000), 60)
    # THEN it is not cached, the old value is gone, and nothing else was evicted for it
    assert cache.get(b"k") is None
    assert cache.get(b"other") == sized("other")
    assert cache.size_bytes == estimated_size(sized("other"))


@pytest.mark.parametrize("event", ["expire", "replace", "zero-ttl"])
def test_size_follows_every_change(event: str) -> None:
    # GIVEN a cache with two entries
    clock = Clock()
    cache = TtlLruCache(10, UNBOUNDED, clock)
    cache.put(b"a", sized("a"), 10)
    cache.put(b"b", sized("b", 100), 60)
    # WHEN one of them expires, is replaced by a larger one, or is stored with TTL 0
    if event == "expire":
        clock.now += 20
        cache.get(b"a")
        expected = [sized("b", 100)]
    elif event == "replace":
        cache.put(b"a", sized("a", 50), 60)
        expected = [sized("b", 100), sized("a", 50)]
    else:
        cache.put(b"a", sized("a"), 0)
        expected = [sized("b", 100)]
    # THEN the size is the sum of what is left
    assert cache.size_bytes == sum(estimated_size(v) for v in expected)
    assert len(cache) == len(expected)


def test_estimate_walks_nested_claims_without_recursion() -> None:
    # GIVEN claims nested far deeper than Python's recursion limit
    nested: object = "leaf"
    for _ in range(sys.getrecursionlimit() * 3):
        nested = [nested]
    value = Introspection("a.b.c", {"deep": nested}, None, False)
    # WHEN its size is estimated
    size = estimated_size(value)
    # THEN every list counts and nothing overflowed the stack
    assert size > sys.getrecursionlimit() * 3 * sys.getsizeof([None])


def test_shared_constants_cost_an_entry_nothing() -> None:
    # GIVEN claims that differ only in holding None, True and False
    plain = Introspection("a.b.c", {"a": "x", "b": "y", "c": "z"}, None, False)
    singletons = Introspection("a.b.c", {"a": None, "b": True, "c": False}, None, False)
    # WHEN both are estimated
    # THEN the singletons count for nothing, the strings for their size
    difference = estimated_size(plain) - estimated_size(singletons)
    assert difference == 3 * sys.getsizeof("x")
    assert estimated_size(singletons) == (
        ENTRY_OVERHEAD_BYTES
        + sys.getsizeof("a.b.c")
        + sys.getsizeof(singletons.claims)
        + 3 * sys.getsizeof("a")
    )


def realistic_claims(n: int) -> dict[str, object]:
    """About the claims of a Curity phantom token (a 750-byte JWT with its header)."""
    return {
        "sub": f"user-{n:08d}",
        "client_id": "web-app",
        "scope": "openid profile orders:read orders:write",
        "iss": "https://login.example.com/oauth/v2/oauth-anonymous",
        "aud": ["api", "orders"],
        "iat": 1_700_000_000 + n,
        "exp": 4_102_444_800,
        "jti": f"{n:032x}",
        "purpose": "access_token",
        "delegationId": f"d-{n:020d}",
        "email": f"user{n}@example.com",
        "groups": ["admins", "buyers"],
        "sid": f"{n:064x}",
        "tenant": "acme-corporation-eu",
        "active": True,
    }


def test_estimate_matches_what_tracemalloc_measures() -> None:
    # GIVEN 2000 answers decoded the way the authorizer decodes them
    responses = [
        HttpResponse(
            200, {"content-type": "application/jwt"}, make_jwt(realistic_claims(n)).encode()
        )
        for n in range(2000)
    ]
    assert 700 <= len(responses[0].body) <= 800
    cache = TtlLruCache(100_000, UNBOUNDED, Clock())
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        # WHEN each is decoded and cached under its token's SHA-256
        for n, response in enumerate(responses):
            result = interpret(response, "jwt", 1_700_000_000.0)
            assert result is not None
            cache.put(hashlib.sha256(b"token-%d" % n).digest(), result, 300)
        del result
        gc.collect()
        measured = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # THEN the estimate is within a few percent of the bytes Python allocated, never far under
    assert len(cache) == 2000
    assert 0.85 <= measured / cache.size_bytes <= 1.05
