"""The explorer's life inside the app: opened by the lifespan, closed after the last request.

An :class:`~webexplorer.explorer.Explorer` is complete when it exists, and opening one is asynchronous
(detecting the cluster, loading the catalog), so it cannot be built in ``create_app``. The app state is
built there all the same, eagerly and frozen (:mod:`.state`); what it holds of the explorer is this slot,
which the lifespan fills before the server accepts the first request. :attr:`ExplorerSlot.explorer` is
the one way to read it, with one failure: a 503 page before start (an ASGI test that skips the
lifespan, say), never ``None``.
"""

from __future__ import annotations

from fastapi import HTTPException

from webexplorer.explorer import Explorer

NOT_STARTED = "The explorer is still starting: try again in a moment."


class ExplorerSlot:
    """Holds the app's explorer from the lifespan's start to its end."""

    def __init__(self) -> None:
        self._explorer: Explorer | None = None

    @property
    def started(self) -> bool:
        return self._explorer is not None

    @property
    def explorer(self) -> Explorer:
        if self._explorer is None:
            raise HTTPException(503, NOT_STARTED)
        return self._explorer

    def fill(self, explorer: Explorer) -> None:
        if self._explorer is not None:
            raise RuntimeError("this app's explorer was opened twice")
        self._explorer = explorer

    def take(self) -> Explorer | None:
        """Empty the slot (at shutdown), returning what it held."""
        explorer, self._explorer = self._explorer, None
        return explorer
