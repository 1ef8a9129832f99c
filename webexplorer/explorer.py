"""One running explorer: the settings, the connection it chose, and the catalog built through it.

Routes reach it through ``request.app.state.explorer``. Start-up never fails because of the cluster:
a broken kubeconfig, an unreachable server or a refused token each leave the explorer serving pages
that say what is wrong in one sentence a person can act on (and, where no live server is configured at
all, the embedded snapshot of a real API, read-only and labelled).
"""

from __future__ import annotations

import logging
import time

from webexplorer.catalog import Catalog, CatalogNotReady, CatalogStore, SnapshotSource, embedded_snapshot_path
from webexplorer.cluster import ClusterError, ConfigError, Connection, Detection, connect, detect
from webexplorer.cluster.whoami import WhoAmI, whoami_explained
from webexplorer.metrics import observe_upstream
from webexplorer.podinfo import PodInfoReader
from webexplorer.settings import Settings
from webexplorer.source import DocumentSource

log = logging.getLogger("webexplorer")

#: how long the identity from SelfSubjectReview is trusted before asking again (tokens rotate)
IDENTITY_TTL = 30.0
#: /readyz fails once the API server has not answered a catalog check for ``ready_timeout`` seconds,
#: and never before this many refresh intervals (a long interval set by an operator must not flap it).
#: One failed check is not enough (a blip must not pull every replica out of its Service at once).
READY_MISSED_CHECKS = 3
#: the longest pause between failed checks during an outage (less when ``ready_timeout`` is short, so
#: there are always READY_MISSED_CHECKS chances to answer inside the readiness window)
MAX_CHECK_BACKOFF = 8.0


class Explorer:
    """Holds what every page needs and owns its lifecycle (``start``/``stop`` from the app lifespan)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.detection: Detection | None = None
        self.connection: Connection | None = None
        self.source: DocumentSource | None = None
        self.store: CatalogStore | None = None
        #: a configuration problem found at start (shown on every page until fixed)
        self.problem: str | None = None
        self._whoami: WhoAmI | None = None
        self._whoami_at = 0.0
        self.started_at = 0.0
        #: the Downward API of the pod the explorer runs in (the "This pod" page)
        self.podinfo = PodInfoReader(settings.podinfo_dir)

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        self.started_at = time.monotonic()
        try:
            if self.settings.mode == "snapshot" or self.settings.snapshot is not None:
                self.detection = None
                self.connection = None
            else:
                self.detection = await detect(self.settings)
                self.connection = await connect(self.detection, self.settings)
                if self.connection is not None:
                    self.connection.observer = observe_upstream  # upstream latency for /metrics
        except ConfigError as exc:
            self.problem = f"{exc} Until then the explorer serves the embedded snapshot."
            log.warning("configuration problem: %s", exc)
            self.connection = None
        self.source = self.connection or SnapshotSource(self.settings.snapshot or embedded_snapshot_path())
        settings = self.settings
        self.store = CatalogStore(
            self.source,
            openapi=settings.openapi,
            refresh_interval=settings.refresh_interval,
            rebuild_interval=settings.rebuild_interval,
            max_backoff=min(MAX_CHECK_BACKOFF, settings.ready_timeout / READY_MISSED_CHECKS),
        )
        await self.store.start()
        if self.store.last_error is not None:
            log.warning("catalog not loaded: %s", self.store.last_error)
        log.info(
            "serving %s (%s)%s",
            self.source.label,
            self.detection.reason if self.detection else "snapshot chosen by the operator",
            "" if self.store.ready else " — catalog not ready",
        )

    async def stop(self) -> None:
        if self.store is not None:
            await self.store.stop()
        if self.connection is not None:
            await self.connection.aclose()

    # -- what pages ask ----------------------------------------------------------------------------

    @property
    def offline(self) -> bool:
        """Serving a recorded snapshot rather than a live API server."""
        return self.connection is None

    @property
    def read_only(self) -> bool:
        return self.offline or not self.settings.allow_writes

    @property
    def connection_label(self) -> str:
        return self.source.label if self.source is not None else "starting"

    @property
    def connection_reason(self) -> str:
        if self.detection is not None:
            return self.detection.reason
        if self.settings.snapshot is not None:
            return f"The operator chose the snapshot {self.settings.snapshot}."
        return "The operator chose the embedded snapshot (--mode snapshot)."

    @property
    def catalog(self) -> Catalog | None:
        """The current catalog, or None while none could be built (see :meth:`catalog_problem`)."""
        if self.store is None:
            return None
        try:
            return self.store.catalog
        except CatalogNotReady:
            return None

    def catalog_problem(self) -> str | None:
        if self.store is None:
            return "The explorer is still starting."
        if self.store.ready:
            return None
        error = self.store.last_error
        return str(error) if error else "The API catalog has not been loaded yet."

    async def identity(self) -> WhoAmI | None:
        """Who requests run as, from ``SelfSubjectReview``; cached briefly because bound tokens rotate."""
        if self.connection is None:
            return None
        now = time.monotonic()
        if self._whoami is None or now - self._whoami_at > IDENTITY_TTL:
            try:
                self._whoami = await whoami_explained(self.connection)
            except ClusterError as exc:
                self._whoami = WhoAmI(None, str(exc))
            self._whoami_at = now
        return self._whoami

    def readiness(self) -> tuple[bool, str]:
        """``/readyz``: the catalog is loaded and (live) the API server answered a recent check.

        Never a request of its own: the background refresh already asks the server every
        ``refresh_interval`` seconds, so its last success says whether the server answers, at the cost
        of reading a number. Probes come every few seconds from every kubelet; they must stay free.
        The window is ``ready_timeout`` (90 s by default), not a few check intervals: checks run every
        second so that new CRDs show at once, and a few seconds of API server trouble must not take
        every replica out of its Service while the cached pages are still good."""
        problem = self.catalog_problem()
        if problem is not None:
            return False, problem
        store = self.store
        if self.offline or store is None:
            return True, "ok"
        allowed = self.ready_window(store)
        last = store.last_success_monotonic
        if last is None or time.monotonic() - last > allowed:
            why = f" (last error: {store.last_error})" if store.last_error else ""
            return False, (
                f"The API server has not answered the explorer's checks for more than {allowed:g} s{why}."
            )
        return True, "ok"

    def ready_window(self, store: CatalogStore) -> float:
        """Seconds without an answer to the background checks after which the explorer is unready."""
        settings = self.settings
        patience = max(settings.ready_timeout, READY_MISSED_CHECKS * store.refresh_interval)
        return patience + settings.request_timeout
