"""What the browsing pages need to show release history, kept out of each route.

The history over the embedded releases is built in the background (:mod:`.releases`); a page rendered
before it is ready shows none, so whether it was there is part of the kept content's key: the first
visit after it is built renders the page again, with history.
"""

from __future__ import annotations

from starlette.requests import Request

from webexplorer.web.state import app_state


def history_key(request: Request) -> tuple[bool]:
    """What a kept page showing history depends on besides its URL: whether the history was there."""
    return (app_state(request).releases.history_now() is not None,)
