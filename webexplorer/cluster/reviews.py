"""What an identity may do, asked of the API server itself (``kubectl auth can-i``).

``SelfSubjectAccessReview`` answers one question — may I ``verb`` this resource here? — and
``SelfSubjectRulesReview`` lists the rules of a namespace (``kubectl auth can-i --list``). Both are
answered for whoever the connection authenticates as (after impersonation), and both come back typed,
so nothing above this module reads a review's JSON. Caching is the caller's business: the web layer
keeps answers briefly per visitor.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from webexplorer.cluster.connection import Connection
from webexplorer.cluster.errors import ClusterError

ACCESS_REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
RULES_REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"
_JSON = {"Content-Type": "application/json", "Accept": "application/json"}


@dataclass(frozen=True, slots=True)
class ResourceAttributes:
    """The question of an access review; empty fields are left out of it (``""`` is the core group)."""

    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """The server's answer: ``allowed``, or not — and ``denied`` when an authorizer said no outright
    rather than having no opinion; ``reason`` is the authorizer's own words (may be empty)."""

    allowed: bool
    denied: bool = False
    reason: str = ""

    def refusal(self, attributes: ResourceAttributes) -> str | None:
        """One sentence for a refused question (None when allowed), for the try-it panel."""
        if self.allowed:
            return None
        sub = f"/{attributes.subresource}" if attributes.subresource else ""
        where = f" in the namespace {attributes.namespace!r}" if attributes.namespace else ""
        scope = "" if attributes.namespace else " (in every namespace or cluster-wide)"
        group = f"the API group {attributes.group!r}" if attributes.group else 'the core API group ("")'
        said = self.reason.strip()
        return (
            f"Your identity may not {attributes.verb} {attributes.resource}{sub}{where}{scope} of {group} "
            f"(SelfSubjectAccessReview{': ' + said[:200] if said else ''}); the API server would answer "
            "403 Forbidden."
        )


@dataclass(frozen=True, slots=True)
class ResourceRule:
    verbs: tuple[str, ...]
    #: ``""`` is the core group
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    #: empty: any name
    resource_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NonResourceRule:
    verbs: tuple[str, ...]
    non_resource_urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RulesReview:
    """The rules of one namespace. ``incomplete`` when an authorizer could not list its rules (webhooks,
    or RBAC with an ``evaluation_error``): the list may then be shorter than what is allowed."""

    resource_rules: tuple[ResourceRule, ...]
    non_resource_rules: tuple[NonResourceRule, ...]
    incomplete: bool = False
    evaluation_error: str = ""


async def access_review(connection: Connection, attributes: ResourceAttributes) -> AccessDecision | None:
    """``SelfSubjectAccessReview`` of ``attributes``; None when there was no usable answer (no answer, an
    error status, not a review), so that an unanswered question never reads as a refusal."""
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": _attributes(attributes)},
    }
    try:
        reply = await connection.request(
            "POST", ACCESS_REVIEW_PATH, headers=_JSON, content=json.dumps(review).encode()
        )
        status = _status(reply.body) if reply.status in (200, 201) else None
    except (ClusterError, ValueError):
        return None
    if status is None:
        return None
    return AccessDecision(
        allowed=bool(status.get("allowed")),
        denied=bool(status.get("denied")),
        reason=str(status.get("reason") or ""),
    )


async def rules_review(connection: Connection, namespace: str) -> RulesReview:
    """``SelfSubjectRulesReview`` of ``namespace``; raises :class:`ClusterError` without an answer."""
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": namespace},
    }
    reply = await connection.request(
        "POST", RULES_REVIEW_PATH, headers=_JSON, content=json.dumps(review).encode()
    )
    if reply.status not in (200, 201):
        raise ClusterError(f"The API server answered the SelfSubjectRulesReview with HTTP {reply.status}.")
    try:
        status = _status(reply.body)
    except ValueError:
        status = None
    if status is None:
        raise ClusterError("The API server's answer to the SelfSubjectRulesReview was not a review.")
    return RulesReview(
        resource_rules=tuple(
            ResourceRule(
                verbs=_strings(rule, "verbs"),
                api_groups=_strings(rule, "apiGroups"),
                resources=_strings(rule, "resources"),
                resource_names=_strings(rule, "resourceNames"),
            )
            for rule in _dicts(status.get("resourceRules"))
        ),
        non_resource_rules=tuple(
            NonResourceRule(
                verbs=_strings(rule, "verbs"), non_resource_urls=_strings(rule, "nonResourceURLs")
            )
            for rule in _dicts(status.get("nonResourceRules"))
        ),
        incomplete=bool(status.get("incomplete")),
        evaluation_error=str(status.get("evaluationError") or ""),
    )


def _attributes(attributes: ResourceAttributes) -> dict[str, str]:
    """The review's ``resourceAttributes``: empty fields left out, but never the API group — ``""`` is
    the core group, and a review without it asks about the core group whatever the resource is, which
    reads as a refusal of a resource of another group (kubernetes-sigs/headlamp#1490)."""
    fields = {k: v for k, v in asdict(attributes).items() if v}
    return {"group": attributes.group, **fields}


def _status(body: bytes) -> dict[str, Any] | None:
    """The ``status`` of a review answer ({} when absent), or None when the body is not a review."""
    document = json.loads(body)
    if not isinstance(document, dict):
        return None
    status = document.get("status", {})
    return status if isinstance(status, dict) else None


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _strings(rule: dict[str, Any], key: str) -> tuple[str, ...]:
    value = rule.get(key) or []
    return tuple(str(item) for item in value) if isinstance(value, list) else ()
