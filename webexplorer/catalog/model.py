"""What discovery says the API offers: groups → versions → resources, as immutable values.

These are plain frozen dataclasses so a whole catalog can be shared between concurrent requests and
swapped in one assignment when the API changes. Both discovery forms (aggregated v2/v2beta1 and the
legacy walk of ``/api`` and ``/apis``) parse into exactly these types, which is what lets a test say
"the two agree".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Scope = Literal["Namespaced", "Cluster"]
#: where a group comes from: compiled into kube-apiserver, a CustomResourceDefinition, or not known
Origin = Literal["built-in", "custom", "unknown"]


def group_display_name(name: str) -> str:
    """How pages and messages name a group: ``core`` for the legacy core group, whose API name is ``""``
    (the one name everywhere else; URLs spell it through ``web/urls.py``)."""
    return name or "core"


@dataclass(frozen=True, slots=True, order=True)
class GVK:
    """A group/version/kind triple; ``group`` is "" for the legacy core group."""

    group: str
    version: str
    kind: str

    @property
    def group_version(self) -> str:
        """``apps/v1``, or just ``v1`` for the core group (the form ``apiVersion`` fields use)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def __str__(self) -> str:
        return f"{self.group_version}, Kind={self.kind}"


@dataclass(frozen=True, slots=True)
class Subresource:
    """One subresource of a resource (``status``, ``scale``, ``log``, ``exec``...)."""

    name: str
    kind: GVK | None
    verbs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource of a group version, as discovery describes it."""

    group: str
    version: str
    name: str  # the plural, as in URLs: "deployments"
    singular_name: str
    kind: GVK
    scope: Scope
    verbs: tuple[str, ...]
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[Subresource, ...] = ()

    @property
    def namespaced(self) -> bool:
        return self.scope == "Namespaced"

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def base_path(self) -> str:
        """The URL prefix of the group version: ``/api/v1`` or ``/apis/apps/v1``."""
        return group_version_path(self.group, self.version)

    def subresource(self, name: str) -> Subresource | None:
        return next((s for s in self.subresources if s.name == name), None)


@dataclass(frozen=True, slots=True)
class GroupVersion:
    """One served version of a group. ``stale`` is aggregated discovery's ``freshness: Stale``: the
    aggregated API server behind it did not answer, so its resource list may be out of date."""

    group: str
    version: str
    resources: tuple[Resource, ...]
    stale: bool = False

    @property
    def name(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def path(self) -> str:
        return group_version_path(self.group, self.version)

    def resource(self, plural: str) -> Resource | None:
        return next((r for r in self.resources if r.name == plural), None)


@dataclass(frozen=True, slots=True)
class Group:
    """One API group; versions are in the server's order of preference, the preferred one first."""

    name: str  # "" for the legacy core group served at /api/v1
    versions: tuple[GroupVersion, ...]
    preferred_version: str
    origin: Origin = "unknown"

    @property
    def display_name(self) -> str:
        return group_display_name(self.name)

    @property
    def is_core(self) -> bool:
        return self.name == ""

    def version(self, version: str) -> GroupVersion | None:
        return next((v for v in self.versions if v.version == version), None)

    @property
    def preferred(self) -> GroupVersion | None:
        return self.version(self.preferred_version) or (self.versions[0] if self.versions else None)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the catalog could not read, kept so pages can say what is missing and why.

    A service account that may not read a group gets a catalog of what it can see plus one Problem per
    refused path (``status`` 403), instead of an error page."""

    path: str
    message: str
    status: int | None = None


@dataclass(frozen=True, slots=True)
class ServerVersion:
    """``/version``: what the server says it is."""

    git_version: str = ""
    major: str = ""
    minor: str = ""
    platform: str = ""
    go_version: str = ""
    build_date: str = ""


@dataclass(frozen=True, slots=True)
class Discovery:
    """The result of reading discovery once: groups plus how it was read (for revalidation)."""

    groups: tuple[Group, ...]
    aggregated: bool
    #: ETags of the aggregated answers of /api and /apis, sent back verbatim on the next check
    etags: tuple[tuple[str, str], ...] = ()
    problems: tuple[Problem, ...] = field(default=())


def group_version_path(group: str, version: str) -> str:
    """``/api/v1`` for the core group, ``/apis/<group>/<version>`` for the others."""
    return f"/apis/{group}/{version}" if group else f"/api/{version}"


def split_group_version(gv: str) -> tuple[str, str]:
    """``apps/v1`` → ("apps", "v1"); ``v1`` → ("", "v1")."""
    group, _, version = gv.rpartition("/")
    return group, version
