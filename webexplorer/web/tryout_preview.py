"""*Preview changes*: a replace, patch, apply (or a create whose name exists) sent as a dry run, and the
live object shown against what the API server answered.

The send route does the sending (the request is the form's own, only forced to ``dryRun=All``, so the
audit line and the commands are the same as for any dry run); this module reads the live object the
write would change and builds the diff (:mod:`webexplorer.tryout.preview`). The real write is then one
button away, with the same fields. A DELETE has its own preview already (the dry run that comes back
before the confirmation, :mod:`webexplorer.tryout.plan`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from webexplorer.cluster import ClusterError, Connection
from webexplorer.tryout.plan import PlannedRequest
from webexplorer.tryout.preview import Preview, preview

#: the form field of the *Preview changes* button
FIELD = "preview"
METHODS = frozenset({"PUT", "PATCH", "POST"})


@dataclass(frozen=True, slots=True)
class PreviewView:
    """The diff, or why there is none (``problem``)."""

    diff: Preview | None
    problem: str | None = None
    #: the operator allows real writes, so the panel offers to send the same request for real
    can_write: bool = False


def wants_preview(method: str, fields: dict[str, str]) -> bool:
    return method in METHODS and fields.get(FIELD) == "1"


async def preview_of(
    connection: Connection,
    planned: PlannedRequest,
    status: int,
    answer: Any,
    *,
    can_write: bool,
    keep_status: bool = False,
) -> PreviewView:
    """The diff from the live object to the dry run's ``answer`` (a refused dry run has none)."""
    if not 200 <= status < 300 or not isinstance(answer, dict):
        return PreviewView(None, "The dry run was refused, so there is nothing to compare: see below.")
    path = _object_path(planned, answer)
    if path is None:
        return PreviewView(None, "The dry run's answer names no object to compare with.")
    try:
        reply = await connection.request("GET", path, headers={"Accept": "application/json"})
    except ClusterError as exc:
        return PreviewView(None, f"The live object could not be read: {exc}")
    if reply.status == 404:
        return PreviewView(preview(None, answer, keep_status=keep_status), can_write=can_write)
    if reply.status != 200:
        return PreviewView(None, f"Reading the live object answered {reply.status} {reply.reason}.")
    live = orjson.loads(reply.body)
    diff = preview(live if isinstance(live, dict) else None, answer, keep_status=keep_status)
    return PreviewView(diff, can_write=can_write)


def _object_path(planned: PlannedRequest, answer: dict[str, Any]) -> str | None:
    """Where the object lives: the request's own path, or for a create, the collection plus its name."""
    if planned.method != "POST":
        return planned.path
    meta = answer.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        return None
    return f"{planned.path.rstrip('/')}/{quote(name, safe='')}"
