"""Who the explorer acts as, asked of the API server itself (``kubectl auth whoami``).

``SelfSubjectReview`` (GA in 1.28) answers with the authenticated user as the server sees it, after
impersonation and after whatever a proxy in front added — so through ``kubectl proxy`` it names the
proxy's identity, which is exactly whose rights the explorer then uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from webexplorer.cluster.connection import Connection
from webexplorer.cluster.errors import UnauthorizedError

SELF_SUBJECT_REVIEW_PATH = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
_BODY = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}).encode()


@dataclass(frozen=True, slots=True)
class Identity:
    """The user the API server sees."""

    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def service_account(self) -> tuple[str, str] | None:
        """``(namespace, name)`` for a service account identity, else None."""
        prefix = "system:serviceaccount:"
        if self.username.startswith(prefix):
            namespace, _, name = self.username[len(prefix) :].partition(":")
            if namespace and name:
                return namespace, name
        return None


@dataclass(frozen=True, slots=True)
class WhoAmI:
    """The identity, or why it is unknown (one sentence for the page)."""

    identity: Identity | None
    explanation: str = ""


async def whoami(connection: Connection) -> Identity | None:
    """The identity requests on ``connection`` carry; None when the server will not say (403, or an
    old server without the API). Raises :class:`UnauthorizedError` on 401 and
    :class:`~webexplorer.cluster.errors.ClusterError` when there is no answer."""
    result = await whoami_explained(connection)
    return result.identity


async def whoami_explained(connection: Connection) -> WhoAmI:
    """Like :func:`whoami`, with a sentence when the identity is unknown."""
    reply = await connection.request(
        "POST",
        SELF_SUBJECT_REVIEW_PATH,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        content=_BODY,
    )
    if reply.status == 401:
        raise UnauthorizedError(
            connection.explain_status(401, SELF_SUBJECT_REVIEW_PATH) or "401 Unauthorized"
        )
    if reply.status in (403, 404, 405):
        why = {
            403: "the identity may not create SelfSubjectReviews (RBAC denies it)",
            404: "the API server does not serve authentication.k8s.io/v1 SelfSubjectReview (older than 1.28)",
            405: "something in front of the API server refuses POST requests",
        }[reply.status]
        return WhoAmI(None, f"The explorer cannot tell who it acts as: {why}.")
    if reply.status not in (200, 201):
        return WhoAmI(
            None, f"The explorer cannot tell who it acts as: the API server answered HTTP {reply.status}."
        )
    try:
        document: Any = json.loads(reply.body)
        info = document["status"]["userInfo"]
        username = info["username"]
    except (ValueError, KeyError, TypeError):
        return WhoAmI(
            None, "The explorer cannot tell who it acts as: the SelfSubjectReview answer had no userInfo."
        )
    extra_raw = info.get("extra") or {}
    extra = {
        str(key): tuple(str(v) for v in (values if isinstance(values, list) else [values]))
        for key, values in (extra_raw.items() if isinstance(extra_raw, dict) else [])
    }
    return WhoAmI(
        Identity(
            username=str(username),
            uid=str(info.get("uid") or ""),
            groups=tuple(str(g) for g in info.get("groups") or []),
            extra=extra,
        )
    )
