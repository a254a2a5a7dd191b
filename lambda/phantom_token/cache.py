"""In-container cache of introspection results, bounded in entries and in bytes.

The least recently used entry goes first when either bound is passed. A phantom token is
kilobytes once decoded, so an entry count alone does not keep the cache inside the function's
memory: 100,000 entries of 750-byte JWTs hold more than 256 MB.
"""

from __future__ import annotations

import sys
from collections import OrderedDict

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from phantom_token.introspection import Introspection

# Per entry, besides the JWT text and the claims: the 32-byte key (65), its slot in the
# OrderedDict's table and linked list (about 100), the (expiry, value, size) tuple (64) with its
# float (24) and int (28), and the Introspection record (72). tests/unit/test_cache.py checks
# the whole estimate against tracemalloc.
ENTRY_OVERHEAD_BYTES = 360


def estimated_size(value: Introspection) -> int:
    """Bytes an entry keeps alive: JWT text, decoded claims (walked, not recursed), overhead."""
    total = ENTRY_OVERHEAD_BYTES + sys.getsizeof(value.jwt)
    pending: list[object] = [value.claims]
    while pending:
        item = pending.pop()
        if item is None or item is True or item is False:
            continue  # shared objects: they cost the entry nothing
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return total


class TtlLruCache:
    """Entries expire after their own TTL; past ``max_entries`` or ``max_bytes`` the least
    recently used goes. An entry larger than ``max_bytes`` on its own is not stored."""

    def __init__(self, max_entries: int, max_bytes: int, clock: Callable[[], float]) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[float, Introspection, int]] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """The estimated bytes the entries hold (see :func:`estimated_size`)."""
        return self._bytes

    def get(self, key: bytes) -> Introspection | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value, size = entry
        if self._clock() >= expires_at:
            del self._entries[key]
            self._bytes -= size
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: bytes, value: Introspection, ttl_seconds: float) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old[2]
        if ttl_seconds <= 0:
            return
        size = estimated_size(value)
        if size > self._max_bytes:
            return
        self._entries[key] = (self._clock() + ttl_seconds, value, size)
        self._bytes += size
        entries = self._entries
        while len(entries) > self._max_entries or self._bytes > self._max_bytes:
            _, (_, _, evicted) = entries.popitem(last=False)
            self._bytes -= evicted
