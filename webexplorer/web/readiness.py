"""``/readyz``'s answer: the catalog is loaded and (live) the API server answered a recent check.

Never a request of its own: the catalog's change watches are open (or, when polling, its checks ask the
server every ``refresh_interval`` seconds), so the store's last success says whether the server
answers, at the cost of reading a number. Probes
come every few seconds from every kubelet; they must stay free. The window is ``ready_timeout`` (90 s by
default, :meth:`~webexplorer.explorer.Explorer.ready_window`), not a few check intervals: checks run every
second so that new CRDs show at once, and a few seconds of API server trouble must not take every
replica out of its Service while the cached pages are still good.
"""

from __future__ import annotations

import time

from webexplorer.explorer import Explorer


def readiness(explorer: Explorer) -> tuple[bool, str]:
    """Whether the explorer is ready, and ``"ok"`` or the sentence saying why not."""
    problem = explorer.catalog_problem()
    if problem is not None:
        return False, problem
    if explorer.offline:
        return True, "ok"
    store = explorer.store
    allowed = explorer.ready_window()
    last = store.last_success_monotonic
    if last is None or time.monotonic() - last > allowed:
        why = f" (last error: {store.last_error})" if store.last_error else ""
        return (
            False,
            f"The API server has not answered the explorer's checks for more than {allowed:g} s{why}.",
        )
    return True, "ok"
