"""One running explorer: the connection it chose and the catalog built through it.

:meth:`Explorer.open` is the only way to make one, and it returns it complete: the connection (``None``
exactly when the explorer serves a recorded snapshot, which is what :attr:`Explorer.offline` means), the
document source and the catalog store are fixed at construction and never ``None``. Opening never fails
because of the cluster: a broken kubeconfig, an unreachable server or a refused token each leave the
explorer serving pages that say what is wrong in one sentence a person can act on (and, where no live
server is configured at all, the embedded snapshot of a real API, read-only and labelled).

What the web layer keeps beside it (sessions, caches, the Downward-API reader, readiness) lives in
:mod:`webexplorer.web.state`, not here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from webexplorer.catalog import Catalog, CatalogStore, SnapshotSource, embedded_snapshot_path
from webexplorer.catalog.copies import CopyingSource, KeptCopies
from webexplorer.cluster import ConfigError, Connection, Detection, connect, detect
from webexplorer.cluster.sending import RequestObserver
from webexplorer.settings import Settings
from webexplorer.source import DocumentSource

log = logging.getLogger("webexplorer")

#: /readyz fails once the API server has not answered a catalog check for ``ready_timeout`` seconds,
#: and never before this many refresh intervals (a long interval set by an operator must not flap it).
#: One failed check is not enough (a blip must not pull every replica out of its Service at once).
READY_MISSED_CHECKS = 3
#: the longest pause between failed checks during an outage (less when ``ready_timeout`` is short, so
#: there are always READY_MISSED_CHECKS chances to answer inside the readiness window)
MAX_CHECK_BACKOFF = 8.0


@dataclass(frozen=True, slots=True)
class Explorer:
    """The connection and the catalog of one running explorer (see the module docstring)."""

    settings: Settings
    #: the live connection; None exactly when serving a recorded snapshot
    connection: Connection | None
    #: where documents come from: the connection, or the snapshot
    source: DocumentSource
    store: CatalogStore
    #: how the connection was chosen (None when the operator chose a snapshot)
    detection: Detection | None = None
    #: a configuration problem found at start (shown on every page until fixed)
    problem: str | None = None
    #: the last good copy of every document read from the live server (raw pages in an outage);
    #: None when serving a snapshot, which always answers
    copies: KeptCopies | None = None

    @classmethod
    async def open(cls, settings: Settings, *, observer: RequestObserver | None = None) -> Explorer:
        """Choose the connection, load the catalog and start its background refresh.

        ``observer`` sees every request to the API server (the web layer's upstream metrics)."""
        detection: Detection | None = None
        connection: Connection | None = None
        problem: str | None = None
        try:
            if settings.mode != "snapshot" and settings.snapshot is None:
                detection = await detect(settings)
                connection = await connect(detection, settings)
                if connection is not None and observer is not None:
                    connection.observer = observer
        except ConfigError as exc:
            problem = f"{exc} Until then the explorer serves the embedded snapshot."
            log.warning("configuration problem: %s", exc)
            connection = None
        copies = KeptCopies() if connection is not None else None
        source: DocumentSource = (
            CopyingSource(connection, copies)
            if connection is not None
            else SnapshotSource(settings.snapshot or embedded_snapshot_path())
        )
        store = await _started_store(settings, source, connection)
        log.info(
            "serving %s (%s)%s",
            source.label,
            detection.reason if detection else "snapshot chosen by the operator",
            "" if store.ready else " — catalog not ready",
        )
        return cls(settings, connection, source, store, detection, problem, copies)

    @classmethod
    async def open_on(cls, settings: Settings, connection: Connection, detection: Detection) -> Explorer:
        """An explorer on a connection made elsewhere (another context of the kubeconfig): its own catalog,
        refreshed like the first one's. A server that does not answer leaves it serving nothing but the
        sentence that says so (its catalog problem), as at start."""
        copies = KeptCopies()
        source = CopyingSource(connection, copies)
        store = await _started_store(settings, source, connection)
        log.info("serving %s (%s)", connection.label, detection.reason)
        return cls(settings, connection, source, store, detection, copies=copies)

    async def close(self) -> None:
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
        return self.source.label

    @property
    def connection_reason(self) -> str:
        if self.detection is not None:
            return self.detection.reason
        if self.settings.snapshot is not None:
            return f"The operator chose the snapshot {self.settings.snapshot}."
        return "The operator chose the embedded snapshot (--mode snapshot)."

    @property
    def catalog(self) -> Catalog:
        """The current catalog; raises :class:`CatalogNotReady` (with the reason) while none exists.

        The one accessor: the web layer answers ``CatalogNotReady`` with its 503 page, and the pages that
        must show without a catalog (home) ask :meth:`catalog_problem` first."""
        return self.store.catalog

    def catalog_problem(self) -> str | None:
        if self.store.ready:
            return None
        error = self.store.last_error
        return str(error) if error else "The API catalog has not been loaded yet."

    def ready_window(self) -> float:
        """Seconds without an answer to the background checks after which the explorer is unready."""
        settings = self.settings
        patience = max(settings.ready_timeout, READY_MISSED_CHECKS * self.store.refresh_interval)
        return patience + settings.request_timeout


async def _started_store(
    settings: Settings, source: DocumentSource, connection: Connection | None
) -> CatalogStore:
    """The catalog store of ``source``, its first catalog built (or its error recorded) and refreshing:
    by watching ``connection`` (unless the operator chose polling), else by polling ``source``."""
    store = CatalogStore(
        source,
        watch=connection if connection is not None and settings.changes == "watch" else None,
        openapi=settings.openapi,
        refresh_interval=settings.refresh_interval,
        rebuild_interval=settings.rebuild_interval,
        max_backoff=min(MAX_CHECK_BACKOFF, settings.ready_timeout / READY_MISSED_CHECKS),
    )
    await store.start()
    if store.last_error is not None:
        log.warning("catalog not loaded: %s", store.last_error)
    return store
