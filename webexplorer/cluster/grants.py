"""The smallest RBAC rule that would grant a refused request, for a person to hand to an admin.

A ``SelfSubjectAccessReview`` that says no names exactly what was asked — verb, API group, resource,
subresource, namespace. RBAC rules are additive and match those attributes one for one, so the smallest
grant is one rule with one verb, one API group and one resource (``resource/subresource`` when a
subresource was asked for): a ``Role`` in the namespace when one was asked, a ``ClusterRole`` otherwise
(cluster-scoped resources, or a namespaced resource across all namespaces, which only a
``ClusterRoleBinding`` grants). Nothing here asks the server; ``tests/test_grants.py`` applies the
suggested rule on the real one and checks that it grants this and nothing broader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from webexplorer.cluster.reviews import AccessDecision, ResourceAttributes

RBAC_API_VERSION = "rbac.authorization.k8s.io/v1"
_NOT_NAME = re.compile(r"[^a-z0-9.-]+")


@dataclass(frozen=True, slots=True)
class Grant:
    """A Role (``namespace`` set) or ClusterRole with one rule, and the binding that gives it to a user."""

    name: str
    namespace: str
    rule: dict[str, list[str]]

    @property
    def kind(self) -> str:
        return "Role" if self.namespace else "ClusterRole"

    @property
    def binding_kind(self) -> str:
        return "RoleBinding" if self.namespace else "ClusterRoleBinding"

    def role(self) -> dict[str, Any]:
        """The Role or ClusterRole object, ready for ``kubectl apply``."""
        metadata: dict[str, str] = {"name": self.name}
        if self.namespace:
            metadata["namespace"] = self.namespace
        return {"apiVersion": RBAC_API_VERSION, "kind": self.kind, "metadata": metadata, "rules": [self.rule]}

    def binding(self, username: str) -> dict[str, Any]:
        """The RoleBinding or ClusterRoleBinding giving the role to ``username`` (a service account's
        user name becomes a ``ServiceAccount`` subject, as RBAC matches it)."""
        metadata: dict[str, str] = {"name": self.name}
        if self.namespace:
            metadata["namespace"] = self.namespace
        return {
            "apiVersion": RBAC_API_VERSION,
            "kind": self.binding_kind,
            "metadata": metadata,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": self.kind, "name": self.name},
            "subjects": [_subject(username)],
        }

    def yaml(self, username: str | None = None) -> str:
        """The role as YAML, followed by its binding when the identity's name is known."""
        documents = [self.role()] + ([self.binding(username)] if username else [])
        return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)


def smallest_grant(attributes: ResourceAttributes) -> Grant:
    """The one-rule Role or ClusterRole that grants exactly the question ``attributes`` asked."""
    resource = attributes.resource + (f"/{attributes.subresource}" if attributes.subresource else "")
    rule = {"apiGroups": [attributes.group], "resources": [resource], "verbs": [attributes.verb]}
    parts = [attributes.verb, attributes.resource, attributes.subresource, attributes.group]
    name = _NOT_NAME.sub("-", "-".join(["webexplorer", *(p for p in parts if p)]).lower()).strip("-.")
    return Grant(name=name[:253], namespace=attributes.namespace, rule=rule)


def _subject(username: str) -> dict[str, str]:
    prefix = "system:serviceaccount:"
    if username.startswith(prefix):
        namespace, _, name = username[len(prefix) :].partition(":")
        if namespace and name:
            return {"kind": "ServiceAccount", "name": name, "namespace": namespace}
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": username}


@dataclass(frozen=True, slots=True)
class Denial:
    """A refused question, as try-it shows it: the sentence, exactly what was asked, and the smallest
    grant that would allow it. ``str()`` is the sentence (the Send button's title)."""

    sentence: str
    attributes: ResourceAttributes
    grant: Grant
    #: who was refused (SelfSubjectReview), for the binding; empty when the server would not say
    username: str = ""

    def __str__(self) -> str:
        return self.sentence

    @property
    def yaml(self) -> str:
        return self.grant.yaml(self.username or None)


def denial(
    decision: AccessDecision | None, attributes: ResourceAttributes, username: str = ""
) -> Denial | None:
    """The :class:`Denial` of a refused review; None when allowed or unanswered (never a guess)."""
    sentence = None if decision is None else decision.refusal(attributes)
    if sentence is None:
        return None
    return Denial(sentence, attributes, smallest_grant(attributes), username)
