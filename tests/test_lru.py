"""The one bounded LRU map every cache of the explorer uses (``webexplorer/lru.py``)."""

from __future__ import annotations

from webexplorer.lru import LRU


def test_least_recently_used_goes_first_by_count() -> None:
    lru: LRU[str, int] = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # a is now the most recent
    lru.put("c", 3)
    assert list(lru) == ["a", "c"] and lru.get("b") is None


def test_weight_bound_and_the_newest_entry_is_kept_alone() -> None:
    lru: LRU[str, bytes] = LRU(max_weight=10, weigh=len)
    lru.put("a", b"12345")
    lru.put("b", b"123456")  # 11 > 10: a goes
    assert list(lru) == ["b"] and lru.weight == 6
    lru.put("huge", b"x" * 50)  # heavier than the budget: kept, alone
    assert list(lru) == ["huge"] and lru.weight == 50


def test_replacing_and_popping_keep_the_weight_true() -> None:
    lru: LRU[str, bytes] = LRU(max_weight=100, weigh=len)
    lru.put("a", b"123")
    lru.put("a", b"1")
    assert lru.weight == 1 and len(lru) == 1
    assert lru.pop("a") == b"1" and lru.weight == 0 and lru.pop("a") is None
    lru.put("b", b"12")
    assert lru.peek("b") == b"12"
    lru.clear()
    assert len(lru) == 0 and lru.weight == 0
