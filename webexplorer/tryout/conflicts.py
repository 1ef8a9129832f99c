"""A 409 explained: whose fields a server-side apply would take over, or a stale ``resourceVersion``.

Server-side apply answers a conflict with a ``Status`` whose causes each name a field path and, in the
message, the field manager that owns it (``conflict with "kubectl-client-side-apply" using apps/v1``).
The panel shows them as a table, and forcing — taking the fields over — is a second, confirmed step
(the same request with ``force=true``) beside the matching ``kubectl apply --server-side
--force-conflicts``. A 409 to a replace is the other kind: the object changed since it was read, and
the way out is to reload the live object into the editor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .commands import Target, kubectl
from .plan import APPLY_PATCH, PlannedRequest
from .status import StatusInfo

_MANAGER = re.compile(r'conflict with "([^"]*)"')
FIELD_MANAGER_CONFLICT = "FieldManagerConflict"


@dataclass(frozen=True, slots=True)
class Conflict:
    field: str
    manager: str
    message: str


@dataclass(frozen=True, slots=True)
class ConflictView:
    """What the panel shows for a 409: the apply conflicts (with the forcing command), or ``stale``."""

    conflicts: tuple[Conflict, ...] = ()
    force_command: str = ""
    #: a replace refused because the object changed since it was read: reload it
    stale: bool = False


def conflict_view(
    plan: PlannedRequest, status: int, info: StatusInfo | None, target: Target
) -> ConflictView | None:
    """The explanation of a 409 answer to ``plan``, or None when there is nothing to explain."""
    if status != 409 or info is None:
        return None
    if plan.method == "PATCH" and plan.content_type == APPLY_PATCH:
        conflicts = tuple(
            Conflict(c.field, _manager(c.message), c.message)
            for c in info.causes
            if c.reason == FIELD_MANAGER_CONFLICT
        )
        if not conflicts:
            return None
        forced = replace(plan, query=(*[(k, v) for k, v in plan.query if k != "force"], ("force", "true")))
        return ConflictView(conflicts, kubectl(forced, target))
    if plan.method == "PUT" and info.reason == "Conflict":
        return ConflictView(stale=True)
    return None


def _manager(message: str) -> str:
    found = _MANAGER.search(message)
    return found.group(1) if found else ""
