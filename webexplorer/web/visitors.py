"""Which visitor a request comes from and which connection it must use: the request-level entry
points to :class:`~webexplorer.web.identity.Identities`, which the app state holds.

:func:`connection_for` is the single place a route gets the connection a visitor's request must use
(try-it, suggestions, watches, the live object for PUT, the page header).
"""

from __future__ import annotations

from starlette.requests import Request

from webexplorer.cluster import Connection
from webexplorer.web.identity import Identities, Visitor
from webexplorer.web.state import app_state


def identities_of(request: Request) -> Identities:
    return app_state(request).identities


async def visitor_of(request: Request) -> Visitor:
    return await identities_of(request).visitor(request)


async def connection_for(request: Request) -> Connection | None:
    """The connection this visitor's requests must use; None when they may not send any."""
    return (await visitor_of(request)).connection


async def load_header_identity(request: Request) -> None:
    """A route dependency of every page: who this visitor's requests run as, for the page header."""
    identities = identities_of(request)
    visitor = await identities.visitor(request)
    request.state.visitor = visitor
    request.state.whoami = await identities.whoami(visitor)
    await identities.close_retired()
