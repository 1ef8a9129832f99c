"""When the catalog's background loop checks, rebuilds and logs: the pure policy, then the real store.

The policy classes take the clock as an argument, so their rules are asserted exactly. The store test
drives the real :class:`CatalogStore` over the embedded snapshot, changed on every answer (CRD churn
without a cluster); it asserts only lower bounds on elapsed time, which load can never break.
"""

from __future__ import annotations

import asyncio
import time

import orjson

from webexplorer.catalog import CatalogStore, SnapshotSource, embedded_snapshot_path
from webexplorer.catalog.pacing import OutageLog, RefreshPacer
from webexplorer.settings import Settings
from webexplorer.source import Fetched


def test_quiet_checks_run_every_check_interval() -> None:
    pacer = RefreshPacer(check_interval=1.0, rebuild_interval=2.0)
    assert pacer.delay(0.0) == 1.0
    pacer.record("unchanged", 5.0)
    assert pacer.delay(5.0) == 1.0


def test_after_a_rebuild_the_next_check_waits_the_rebuild_interval() -> None:
    pacer = RefreshPacer(check_interval=1.0, rebuild_interval=2.0)
    pacer.record("changed", 10.0)
    assert pacer.delay(10.0) == 2.0  # not 1.0: a change seen now would rebuild back to back
    # an unchanged check in between does not reopen the door early
    pacer.record("unchanged", 10.5)
    assert pacer.delay(10.5) == 1.5
    # once the rebuild interval is over, checks are back to every second
    assert pacer.delay(13.0) == 1.0


def test_a_slow_rebuild_spaces_the_next_one_by_ten_times_its_duration() -> None:
    """On a starved machine or a huge cluster rebuilds then take at most about a tenth of the time."""
    pacer = RefreshPacer(check_interval=1.0, rebuild_interval=1.0, busy_factor=10.0)
    pacer.record("changed", 50.0, seconds=0.05)  # the usual cost with 300 CRDs: the floor decides
    assert pacer.delay(50.0) == 1.0
    pacer.record("changed", 60.0, seconds=0.4)
    assert pacer.delay(60.0) == 4.0
    pacer.record("unchanged", 61.0)
    assert pacer.delay(61.0) == 3.0


def test_a_short_rebuild_interval_never_shortens_the_check_interval() -> None:
    pacer = RefreshPacer(check_interval=1.0, rebuild_interval=0.0)
    pacer.record("changed", 1.0)
    assert pacer.delay(1.0) == 1.0


def test_failed_checks_back_off_up_to_the_cap_and_recover_at_once() -> None:
    pacer = RefreshPacer(check_interval=1.0, rebuild_interval=2.0, max_backoff=8.0)
    delays = []
    for n in range(7):
        pacer.record("failed", float(n))
        delays.append(pacer.delay(float(n)))
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    pacer.record("unchanged", 100.0)
    assert pacer.failures == 0 and pacer.delay(100.0) == 1.0
    # a cap below the check interval never makes a failed check come sooner than a good one
    slow = RefreshPacer(check_interval=30.0, max_backoff=8.0)
    slow.record("failed", 0.0)
    assert slow.delay(0.0) == 30.0


def test_outage_log_says_it_once_then_on_news_then_on_recovery() -> None:
    log = OutageLog(remind_every=300.0)
    assert log.answered(0.0) is None  # nothing to recover from
    first = log.failed("connection refused", 10.0)
    assert first is not None and "connection refused" in first and "last good catalog" in first
    assert [log.failed("connection refused", 10.0 + n) for n in range(1, 60)] == [None] * 59
    changed = log.failed("timed out", 80.0)
    assert changed is not None and "timed out" in changed
    assert log.failed("timed out", 100.0) is None
    reminder = log.failed("timed out", 380.0)
    assert reminder is not None and "63 checks" in reminder and "370 s" in reminder
    back = log.answered(400.0)
    assert back is not None and "63 failed checks" in back and "390 s" in back
    assert log.answered(401.0) is None
    again = log.failed("connection refused", 500.0)  # a new outage is news again
    assert again is not None and "connection refused" in again


def test_settings_defaults_check_often_and_stay_ready_long() -> None:
    """The product's promise in numbers: a check every second, a rebuild at most every second, and
    readiness that survives a minute and a half of API server trouble."""
    s = Settings()
    assert s.refresh_interval <= 1.0
    assert 0 < s.rebuild_interval <= 1.0
    assert s.ready_timeout >= 90.0


class ChurningSource:
    """The embedded snapshot, except that ``/apis`` gains and loses its last group on every answer and
    never answers 304: each check sees a change, like a cluster where CRDs are being created nonstop."""

    def __init__(self) -> None:
        self.snapshot = SnapshotSource(embedded_snapshot_path())
        self.label = "churning snapshot"
        self.apis_fetches = 0

    async def fetch(self, path: str, *, accept: str = "application/json", etag: str | None = None) -> Fetched:
        if path != "/apis":
            return await self.snapshot.fetch(path, accept=accept, etag=etag)
        got = await self.snapshot.fetch(path, accept=accept)
        self.apis_fetches += 1
        doc = orjson.loads(got.body)
        if self.apis_fetches % 2:
            doc["items"] = doc["items"][:-1]
        headers = {**got.headers, "etag": f'"churn-{self.apis_fetches}"'}
        return Fetched(200, orjson.dumps(doc), headers, got.url)


async def test_churn_is_folded_into_paced_rebuilds() -> None:
    """Every check sees a change, yet rebuilds come no faster than one per ``rebuild_interval`` while
    checks alone would come every ``check_interval``; the search index keeps up (coalesced, not
    starved)."""
    source = ChurningSource()
    rebuild_interval = 0.3
    store = CatalogStore(source, refresh_interval=0.01, rebuild_interval=rebuild_interval)
    await store.start()
    try:
        first = store.generation
        started = time.monotonic()
        async with asyncio.timeout(60):  # bounded wait, not a timing assertion
            while store.generation < first + 4:
                await store.wait_changed(store.generation)
        elapsed = time.monotonic() - started
        # four rebuilds after the first need at least three rebuild intervals between them (a loaded
        # machine only makes this longer); unpaced, checks every 10 ms would have taken ~40 ms
        assert elapsed >= 3 * rebuild_interval
        assert store.refresh_counts["changed"] == store.generation
        assert source.apis_fetches <= store.generation + 1  # one check per rebuild: none wasted
        async with asyncio.timeout(60):
            await store.wait_index()
        assert store.search_index is not None
    finally:
        await store.stop()
