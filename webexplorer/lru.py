"""One bounded least-recently-used map, for every cache of the explorer that keeps recent things.

The explorer keeps several kinds of recent things (OpenAPI documents, rendered pages, raw bodies and
their HTML, answer bodies for download), each bounded by a count, a byte budget, or both. They all had
the same few lines around an ``OrderedDict``; this is those lines once, with the size of an entry given
by the caller (``weigh``), so a bound in bytes and a bound in entries are the same mechanism.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(_value: object) -> int:
    return 1


class LRU(Generic[K, V]):
    """At most ``max_entries`` entries and at most ``max_weight`` of total weight (``weigh`` of each
    value, 1 each by default), least recently used out first. An entry heavier than the whole budget is
    still kept alone: the newest entry is never evicted by its own insertion."""

    def __init__(
        self,
        max_entries: int | None = None,
        *,
        max_weight: int | None = None,
        weigh: Callable[[V], int] = _one,
    ) -> None:
        self.max_entries = max_entries
        self.max_weight = max_weight
        self._weigh = weigh
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.weight = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._items))

    def get(self, key: K) -> V | None:
        """The value of ``key`` (now the most recently used), or None."""
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def peek(self, key: K) -> V | None:
        """The value of ``key`` without touching its place in the order."""
        found = self._items.get(key)
        return None if found is None else found[0]

    def put(self, key: K, value: V) -> None:
        self.pop(key)
        weight = self._weigh(value)
        self._items[key] = (value, weight)
        self.weight += weight
        while len(self._items) > 1 and self._over():
            _, (_, old) = self._items.popitem(last=False)
            self.weight -= old

    def pop(self, key: K) -> V | None:
        found = self._items.pop(key, None)
        if found is None:
            return None
        self.weight -= found[1]
        return found[0]

    def clear(self) -> None:
        self._items.clear()
        self.weight = 0

    def _over(self) -> bool:
        return (self.max_entries is not None and len(self._items) > self.max_entries) or (
            self.max_weight is not None and self.weight > self.max_weight
        )
