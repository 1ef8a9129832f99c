"""``/can-i`` when the rules list cannot be trusted: one ``SelfSubjectAccessReview`` per resource and verb.

``SelfSubjectRulesReview`` is ``incomplete`` when an authorizer cannot list its rules (webhook
authorizers, EKS, the Node authorizer for kubelets) and carries an ``evaluationError`` when RBAC could
not read a role: either way something may be allowed that the list leaves out. Each authorizer still
answers a single question, so the page asks one per row instead — every resource of the catalog's
preferred versions, every verb discovery lists for it among :data:`VERBS`, in the namespace shown
(cluster-scoped resources without one). Every question names its API group. Answers go through the
visitor's brief review cache (:meth:`~webexplorer.web.identity.Identities.decision`), at most
:data:`CONCURRENCY` at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from webexplorer.catalog import Catalog, Resource
from webexplorer.cluster.reviews import ResourceAttributes
from webexplorer.web.identity import Identities, Visitor

#: the verbs asked about, in this order (what try-it's operations map to)
VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
#: reviews in flight at once for one page
CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class AccessRow:
    """One resource's answers: verbs allowed, refused, and those the server gave no usable answer for."""

    group: str
    version: str
    resource: str
    namespaced: bool
    allowed: tuple[str, ...]
    refused: tuple[str, ...]
    unanswered: tuple[str, ...]


async def access_rows(
    identities: Identities, visitor: Visitor, catalog: Catalog, namespace: str
) -> list[AccessRow]:
    """A row per resource, each verb answered by its own ``SelfSubjectAccessReview``."""
    resources = sorted(
        (r for r in catalog.resources(preferred_only=True) if set(VERBS) & set(r.verbs)),
        key=lambda r: (r.group != "", r.group, r.name),
    )
    gate = asyncio.Semaphore(CONCURRENCY)

    async def ask(resource: Resource, verb: str) -> bool | None:
        attributes = ResourceAttributes(
            verb, resource.group, resource.name, namespace=namespace if resource.namespaced else ""
        )
        async with gate:
            decision = await identities.decision(visitor, attributes)
        return None if decision is None else decision.allowed

    async def row(resource: Resource) -> AccessRow:
        verbs = [v for v in VERBS if v in resource.verbs]
        answers = await asyncio.gather(*(ask(resource, v) for v in verbs))
        return AccessRow(
            group=resource.group,
            version=resource.version,
            resource=resource.name,
            namespaced=resource.namespaced,
            allowed=tuple(v for v, a in zip(verbs, answers, strict=True) if a is True),
            refused=tuple(v for v, a in zip(verbs, answers, strict=True) if a is False),
            unanswered=tuple(v for v, a in zip(verbs, answers, strict=True) if a is None),
        )

    return list(await asyncio.gather(*(row(r) for r in resources)))
