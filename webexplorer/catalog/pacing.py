"""When the catalog's background loop checks the server next: the whole policy, as plain arithmetic.

Three wishes pull the interval apart, so each gets its own knob instead of one ``refresh_interval``
serving all of them:

* **A new CRD shows within seconds.** A check is three conditional GETs answered 304 while nothing
  changed (discovery's two ETags and the OpenAPI v3 index's), so it can run every ``check_interval``
  (one second by default) for almost nothing.
* **Churn does not starve pages.** A *changed* check rebuilds the catalog and then the search index.
  While CRDs are being created by the hundred every check would see a change; after a rebuild the next
  check therefore waits ``rebuild_interval``, or ``busy_factor`` times as long as the rebuild took if
  that is longer (a slow rebuild, on a huge cluster, a starved machine or a busy API server, then takes
  at most a tenth of the time), and everything that changed meanwhile is picked up by one rebuild (the
  ETags compare the server's state now with the last catalog, not change by change). With 300 CRDs a
  rebuild costs ~20 ms of CPU and its search index ~30 ms, so the floor, not the factor, sets the pace.
* **An outage is not hammered, nor shouted about.** Failed checks back off exponentially up to
  ``max_backoff``, which stays well inside the readiness window so ``/readyz`` still tells "the server
  answers again" promptly after it does.

Readiness is deliberately *not* derived from these intervals any more (it used to be three check
intervals): a one-second check must not mean "unready after three seconds of API server trouble", which
would pull every replica out of its Service exactly when cached pages should keep being served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["changed", "unchanged", "failed"]


@dataclass
class RefreshPacer:
    """Decides the sleep before the next background check from the outcomes of the past ones.

    Pure (the caller passes ``time.monotonic()``), so the coalescing and backoff rules are unit-tested
    without a server or a real clock."""

    check_interval: float = 1.0
    rebuild_interval: float = 1.0
    max_backoff: float = 8.0
    busy_factor: float = 10.0
    #: failed checks in a row (0 once the server answers)
    failures: int = 0
    #: when the last rebuild ended (monotonic seconds), None before the first
    last_rebuild_at: float | None = field(default=None)
    #: how long the last rebuild took (seconds)
    last_rebuild_seconds: float = 0.0

    def record(self, outcome: Outcome, now: float, seconds: float = 0.0) -> None:
        """Note how a check ended (``now`` = when it ended, ``seconds`` = how long it took)."""
        if outcome == "failed":
            self.failures += 1
            return
        self.failures = 0
        if outcome == "changed":
            self.last_rebuild_at, self.last_rebuild_seconds = now, seconds

    def delay(self, now: float) -> float:
        """Seconds to sleep before the next check."""
        if self.failures:
            # 1, 2, 4, ... check intervals, capped (never below one interval)
            backoff = self.check_interval * float(2 ** min(self.failures - 1, 30))
            return min(backoff, max(self.check_interval, self.max_backoff))
        return max(self.check_interval, self.rebuild_wait(now))

    def rebuild_wait(self, now: float) -> float:
        """Seconds until a rebuild may run again: rebuilds never run back to back, so changes seen
        sooner wait and fold into one rebuild (0 when none ran recently)."""
        if self.last_rebuild_at is None:
            return 0.0
        gap = max(self.rebuild_interval, self.busy_factor * self.last_rebuild_seconds)
        return max(0.0, self.last_rebuild_at + gap - now)


@dataclass
class OutageLog:
    """What to log about failed checks: the first failure, a changed cause, a reminder every
    ``remind_every`` seconds, and the recovery; nothing for the identical failures in between.

    With a check every second an outage would otherwise write a warning every second (or every backoff
    step) for as long as it lasts, burying everything else in the log. Pure like :class:`RefreshPacer`:
    each method returns the line to log (``None``: stay quiet) and the caller logs it."""

    remind_every: float = 300.0
    failures: int = 0
    since: float | None = None
    _message: str | None = None
    _reminded_at: float = 0.0

    def failed(self, message: str, now: float) -> str | None:
        """A check failed with ``message``: the warning to write, if any."""
        self.failures += 1
        if self.since is None:
            self.since, self._message, self._reminded_at = now, message, now
            return f"catalog refresh failed: {message} (keeping the last good catalog; retrying quietly)"
        if message != self._message:
            self._message, self._reminded_at = message, now
            return f"catalog refresh still failing, now: {message}"
        if now - self._reminded_at >= self.remind_every:
            self._reminded_at = now
            return (
                f"catalog refresh still failing after {self.failures} checks "
                f"({now - self.since:.0f} s): {message}"
            )
        return None

    def answered(self, now: float) -> str | None:
        """A check succeeded: the recovery line after an outage, else None."""
        if self.since is None:
            return None
        line = f"the API server answers again after {self.failures} failed checks ({now - self.since:.0f} s)"
        self.failures, self.since, self._message = 0, None, None
        return line


__all__ = ["OutageLog", "Outcome", "RefreshPacer"]
