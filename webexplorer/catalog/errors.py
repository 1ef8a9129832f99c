"""The one exception the catalog raises about documents it cannot understand.

Parsers meet documents from servers we do not control (old versions, aggregated API servers, CRDs with
odd schemas, truncated snapshots). They either skip an entry they cannot read and carry on, or raise
:class:`CatalogError` with a sentence a person can act on: never ``KeyError`` or ``TypeError`` from deep
inside a dict walk.
"""

from __future__ import annotations


class CatalogError(Exception):
    """A discovery or OpenAPI document could not be read; ``str()`` says which and why."""

    def __init__(self, message: str, *, path: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.status = status
