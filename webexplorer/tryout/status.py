"""The API server's ``Status`` answer decoded: reason, message, and each cause, for people to read.

Every error the API server gives (and the answer to a DELETE) is a ``meta/v1`` ``Status``; its
``details.causes`` list is where validation errors name their fields (``Strict`` field validation lists
each unknown field there). A 410 ``Expired`` on a list with a continue token gets its own sentence,
because the fix — start again from the first page — is not obvious from the server's wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Cause:
    reason: str
    message: str
    field: str


@dataclass(frozen=True, slots=True)
class StatusInfo:
    status: str  # "Success" | "Failure"
    message: str
    reason: str
    code: int | None
    name: str = ""
    kind: str = ""
    group: str = ""
    causes: tuple[Cause, ...] = ()
    retry_after: int | None = None


def decode_status(value: Any) -> StatusInfo | None:
    """The ``Status`` in a decoded body, or None when the body is something else."""
    if not isinstance(value, Mapping) or value.get("kind") != "Status":
        return None
    details = value.get("details") if isinstance(value.get("details"), Mapping) else {}
    assert isinstance(details, Mapping)
    causes = tuple(
        Cause(str(c.get("reason", "")), str(c.get("message", "")), str(c.get("field", "")))
        for c in details.get("causes") or ()
        if isinstance(c, Mapping)
    )
    code = value.get("code")
    retry = details.get("retryAfterSeconds")
    return StatusInfo(
        status=str(value.get("status", "")),
        message=str(value.get("message", "")),
        reason=str(value.get("reason", "")),
        code=code if isinstance(code, int) else None,
        name=str(details.get("name", "")),
        kind=str(details.get("kind", "")),
        group=str(details.get("group", "")),
        causes=causes,
        retry_after=retry if isinstance(retry, int) else None,
    )


def warning_text(header: str) -> str:
    """``299 - "unknown field \\"spec.x\\""`` → ``unknown field "spec.x"`` (RFC 7234 warn-text)."""
    parts = header.split(" ", 2)
    if len(parts) == 3 and parts[0].isdigit():
        text = parts[2].strip()
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return text
    return header


def expired_continue_message(status: int, info: StatusInfo | None, used_continue: bool) -> str | None:
    """A sentence for a 410 on a paged list, or None."""
    if status == 410 and used_continue and (info is None or info.reason in ("Expired", "Gone", "")):
        return (
            "The continue token has expired: the API server keeps list snapshots only for a few minutes "
            "(etcd compaction). Start again from the first page; the list may have changed meanwhile."
        )
    return None
