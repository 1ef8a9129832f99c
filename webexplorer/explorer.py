"""One running explorer: the settings, the source of API documents it chose, and its catalog.

Routes reach it through ``request.app.state.explorer``. Start-up never fails because of the cluster:
if no API server can be used, the explorer still serves pages that say why, in one sentence a person
can act on.
"""

from __future__ import annotations

import logging

from webexplorer.settings import Settings

log = logging.getLogger("webexplorer")


class Explorer:
    """Holds what every page needs and owns its lifecycle (``start``/``stop`` from the app lifespan)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.connection_label = "none"
        self.connection_reason = ""
        self.problem: str | None = None

    async def start(self) -> None:
        self.problem = (
            "No Kubernetes API server is connected. Start one with 'webexplorer sandbox', or run "
            "'kubectl proxy' and restart the explorer with --server http://127.0.0.1:8001."
        )

    async def stop(self) -> None:
        return None

    def readiness(self) -> tuple[bool, str]:
        return True, "ok"
