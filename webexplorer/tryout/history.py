"""One line of a visitor's try-it history: the shareable-link data of a request that went out.

The history lives in the visitor's own browser (``localStorage``, by ``static/app.js``): the server keeps
nothing, so it works behind replicas and survives a reload. Each sent request's answer panel carries its
entry as JSON (``data-history``) — method, path, status, when, dry run or not, and the link that refills
the form (:func:`~webexplorer.tryout.share.share_query`). Never a credential (a link never carries one),
never a response body, and for Secrets not even the request body (it holds the Secret's data).

Entries are kept per identity: the storage key is derived from the user the API server names in its
``SelfSubjectReview`` (:func:`history_key`), never from a token, so two people signing in on one browser
do not see each other's requests, and sign-out clears the one signing out.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

from webexplorer.catalog import Operation

from .plan import PlannedRequest, TryForm
from .share import share_query

#: the prefix of the localStorage keys (app.js appends :func:`history_key`)
STORAGE_PREFIX = "webexplorer-history:"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """What the history shows of one request, and where its form is filled in again."""

    id: str
    method: str
    path: str
    operation: str
    at: str
    write: bool
    dry_run: bool
    #: the try-it form with this request's fields (the shareable link)
    url: str

    def json(self, status: int | None) -> str:
        """The entry with the answer's status (None: no answer, or a watch), as the panel carries it."""
        return json.dumps(asdict(self) | {"status": status}, separators=(",", ":"))


def holds_secret(op: Operation) -> bool:
    """Whether this operation's request body is a Secret's (the core group's ``secrets``)."""
    target = op.target
    return target is not None and target.group == "" and target.resource == "secrets"


def history_entry(
    op: Operation, form: TryForm, planned: PlannedRequest, action: str, now: datetime | None = None
) -> HistoryEntry:
    """The entry of a request about to be sent; ``action`` is the form's URL (in its context)."""
    linked = replace(form, body="") if holds_secret(op) else form
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return HistoryEntry(
        id=secrets.token_hex(8),
        method=planned.method,
        path=planned.target,
        operation=op.operation_id,
        at=at,
        write=planned.write,
        dry_run=planned.write and planned.dry_run,
        url=action + "?" + share_query(linked),
    )


def history_key(username: str, uid: str = "") -> str:
    """The storage key of an identity's history: a digest of who the API server says it is."""
    digest = hashlib.sha256(f"webexplorer-history\0{username}\0{uid}".encode()).hexdigest()
    return digest[:32]
