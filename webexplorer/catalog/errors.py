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


class NotPublishedYet(CatalogError):
    """Discovery lists a group version whose OpenAPI v3 document the server has not published yet.

    A new CRD shows in aggregated discovery up to a few seconds before the API server's OpenAPI
    aggregator adds its group version to ``/openapi/v3``; pages answer 503 with ``Retry-After`` in that
    gap (the schema is coming), not 404 (there is none), and the store keeps checking until it is there
    (:data:`~.refresh.PUBLISH_WAIT`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=503)
