"""Watch events as rows: the pure half of streaming a watch into the page.

A watch answer is one JSON object per line: ``{"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR",
"object": ...}``. Rows are made for the three change types; bookmarks only move the resume point and
are counted; an ERROR (usually a 410 ``Expired`` when the resourceVersion fell out of etcd's history)
tells the streamer to list again and resume from the list's resourceVersion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from .status import StatusInfo, decode_status

ROW_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED"})


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: str
    kind: str
    namespace: str
    name: str
    resource_version: str
    status: StatusInfo | None = None

    @property
    def is_row(self) -> bool:
        return self.type in ROW_TYPES

    @property
    def gone(self) -> bool:
        """An ERROR that means "your resourceVersion is too old": list again and resume."""
        return self.type == "ERROR" and (self.status is None or self.status.code in (410, None))


def parse_event(line: str) -> WatchEvent | None:
    """One line of a watch answer, or None for a blank or unreadable line."""
    line = line.strip()
    if not line:
        return None
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(raw, Mapping):
        return None
    obj: Any = raw.get("object")
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    meta = meta if isinstance(meta, Mapping) else {}
    kind = obj.get("kind") if isinstance(obj, Mapping) else ""
    return WatchEvent(
        type=str(raw.get("type", "")),
        kind=str(kind or ""),
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        resource_version=str(meta.get("resourceVersion", "")),
        status=decode_status(obj),
    )


def list_resource_version(body: bytes) -> str:
    """The ``metadata.resourceVersion`` of a list answer (where a re-listed watch resumes)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    meta = value.get("metadata") if isinstance(value, Mapping) else None
    return str(meta.get("resourceVersion", "")) if isinstance(meta, Mapping) else ""
