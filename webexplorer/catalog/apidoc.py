"""One parsed OpenAPI document, whichever version: its operations and its schemas.

Both :mod:`.openapi_v2` and :mod:`.openapi_v3` return an :class:`ApiDocument`, so everything above
this line (pages, search, the agreement test) is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .operations import OperationIndex
from .schema import SchemaSet


@dataclass(frozen=True, slots=True)
class ApiDocument:
    """Operations and schemas of one document (a v3 group-version document, or all of v2)."""

    openapi: Literal["v2", "v3"]
    operations: OperationIndex
    schemas: SchemaSet
    #: the document's own title/version from ``info``, for pages
    title: str = ""
    #: operations or parameters skipped because they could not be read (malformed entries)
    skipped: int = 0
