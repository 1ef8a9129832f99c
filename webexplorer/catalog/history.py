"""API history across the embedded Kubernetes releases: since when a thing exists, when it was deprecated
or removed and what replaces it, and how each field changed.

Pure: :class:`ApiHistory` reads only the ordered :class:`~.diff.ApiSurface` of each recorded release
(oldest first), which :func:`~.diff.surface_of` builds from a snapshot. Neither discovery nor OpenAPI
says when an API was deprecated or what replaces it (kubernetes/kubernetes#81759), but the API server
does, on every request to a deprecated API, in a ``Warning`` header: "flowcontrol.apiserver.k8s.io/v1beta3
FlowSchema is deprecated in v1.29+, unavailable in v1.32+; use flowcontrol.apiserver.k8s.io/v1
FlowSchema". Each recorded release keeps that header from a list of every resource, so history states
what the servers said, and when a thing disappeared from the range without a warning, the replacement is
the version of the same group that serves the same kind in the release where it was removed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .diff import ApiSurface, FieldChange, field_changes
from .model import GVK, split_group_version

_WARNING = re.compile(r'\d{3} \S+ "((?:[^"\\]|\\.)*)"')
_DEPRECATED_IN = re.compile(r"deprecated in (v\d+\.\d+)")
_UNAVAILABLE_IN = re.compile(r"unavailable in (v\d+\.\d+)")
_USE = re.compile(r";\s*use (\S+)(?: (\w+))?\s*$")


def warning_texts(header: str) -> list[str]:
    """The texts of a ``Warning`` header (``299 - "text", 299 - "other"``); a bare text as it is."""
    found = [m.group(1).replace('\\"', '"') for m in _WARNING.finditer(header)]
    return found or ([header.strip()] if header.strip() else [])


@dataclass(frozen=True, slots=True)
class Deprecation:
    """What an API server's warning says: deprecated in, unavailable in, and the replacement."""

    text: str
    deprecated_in: str = ""  # "v1.29"
    unavailable_in: str = ""  # "v1.32": the removal the server announced (it may lie beyond the range)
    replacement: str = ""  # "flowcontrol.apiserver.k8s.io/v1 FlowSchema"

    @property
    def replacement_group_version(self) -> str:
        return self.replacement.split(" ", 1)[0]


def parse_deprecation(header: str) -> Deprecation | None:
    """The first deprecation a ``Warning`` header states, or None when it states none."""
    for text in warning_texts(header):
        if "deprecated" not in text.lower():
            continue
        dep, gone, use = _DEPRECATED_IN.search(text), _UNAVAILABLE_IN.search(text), _USE.search(text)
        replacement = " ".join(p for p in use.groups() if p) if use else ""
        return Deprecation(text, dep.group(1) if dep else "", gone.group(1) if gone else "", replacement)
    return None


@dataclass(frozen=True, slots=True)
class Lifetime:
    """Where in the embedded range a thing is served. ``first``/``last`` are release labels (None when
    no embedded release serves it); ``removed_in`` is the release after ``last`` (None when the newest
    serves it); ``deprecated_in`` the first release whose server said so (or the version it named)."""

    first: str | None = None
    last: str | None = None
    removed_in: str | None = None
    deprecated_in: str | None = None
    replacement: str = ""
    warning: str = ""
    #: the oldest embedded release, so pages can tell "since v1.33" from "in every embedded release"
    oldest: str | None = None

    @property
    def known(self) -> bool:
        return self.first is not None

    @property
    def added_in_range(self) -> bool:
        """True when a release after the oldest introduced it ("since v1.33")."""
        return self.first is not None and self.first != self.oldest


@dataclass(frozen=True, slots=True)
class ReleaseFieldChange:
    """One change of a field between two consecutive releases that both have it (``release`` is the
    newer one), or its appearance (``what == "added"``) and disappearance (``"removed"``)."""

    release: str
    what: str
    old: str = ""
    new: str = ""


def minor(label: str) -> str:
    """``v1.31.14`` → ``v1.31`` (deprecation warnings name minors)."""
    return ".".join(label.split(".")[:2])


class ApiHistory:
    """History over ``releases`` (oldest first), each an :class:`ApiSurface` labelled with its version."""

    def __init__(self, releases: Sequence[ApiSurface]) -> None:
        self.releases: tuple[ApiSurface, ...] = tuple(releases)
        self.labels: tuple[str, ...] = tuple(r.label for r in self.releases)

    @property
    def oldest(self) -> str | None:
        return self.labels[0] if self.labels else None

    @property
    def newest(self) -> str | None:
        return self.labels[-1] if self.labels else None

    def release(self, label: str) -> ApiSurface | None:
        return next((r for r in self.releases if r.label == label), None)

    def _lifetime(self, present: Sequence[bool]) -> tuple[str | None, str | None, str | None]:
        idx = [i for i, p in enumerate(present) if p]
        if not idx:
            return None, None, None
        last = idx[-1]
        removed = self.labels[last + 1] if last + 1 < len(self.labels) else None
        return self.labels[idx[0]], self.labels[last], removed

    def _with_deprecation(
        self, present: Sequence[bool], warnings: Sequence[Deprecation | None], group: str, kinds: set[str]
    ) -> Lifetime:
        first, last, removed = self._lifetime(present)
        found = next(((i, w) for i, w in enumerate(warnings) if w is not None), None)
        deprecated_in: str | None = None
        replacement, text = "", ""
        if found is not None:
            i, w = found
            deprecated_in = w.deprecated_in or minor(self.labels[i])
            replacement, text = w.replacement, w.text
        if removed is not None and not replacement:
            replacement = self._successor(removed, group, kinds)
        return Lifetime(first, last, removed, deprecated_in, replacement, text, self.oldest)

    def _successor(self, release: str, group: str, kinds: set[str]) -> str:
        """The group version of ``group`` that serves one of ``kinds`` in ``release``."""
        surface = self.release(release)
        if surface is None:
            return ""
        for facts in sorted(surface.resources.values()):
            if facts.group == group and facts.kind in kinds:
                return f"{facts.group_version} {facts.kind}"
        return ""

    # ------------------------------------------------------------------------------------- queries

    def group_version(self, gv: str) -> Lifetime:
        """Since when ``gv`` (``apps/v1``, ``v1``) is served; deprecated when every resource of it is."""
        group, version = split_group_version(gv)
        present = [gv in r.group_versions for r in self.releases]
        warnings: list[Deprecation | None] = []
        kinds: set[str] = set()
        for r in self.releases:
            mine = [k for k in r.resources if k[0] == group and k[1] == version]
            kinds.update(r.resources[k].kind for k in mine)
            deps = [parse_deprecation(r.warnings.get(k, "")) for k in mine]
            whole = bool(deps) and all(d is not None for d in deps)
            warnings.append(next((d for d in deps if d is not None), None) if whole else None)
        life = self._with_deprecation(present, warnings, group, kinds)
        if life.replacement:  # a group version is replaced by a group version, not by a kind
            life = dataclasses.replace(life, replacement=life.replacement.split(" ", 1)[0])
        return life

    def resource(self, group: str, version: str, plural: str) -> Lifetime:
        key = (group, version, plural)
        present = [key in r.resources for r in self.releases]
        warnings = [parse_deprecation(r.warnings.get(key, "")) for r in self.releases]
        kinds = {r.resources[key].kind for r in self.releases if key in r.resources}
        return self._with_deprecation(present, warnings, group, kinds)

    def kind(self, gvk: GVK) -> Lifetime:
        """Since when a resource of ``gvk`` is served (its deprecation is its resource's)."""
        present, warnings = [], []
        for r in self.releases:
            keys = [
                k for k, f in r.resources.items() if k[:2] == (gvk.group, gvk.version) and f.kind == gvk.kind
            ]
            present.append(bool(keys))
            warnings.append(next((d for k in keys if (d := parse_deprecation(r.warnings.get(k, "")))), None))
        return self._with_deprecation(present, warnings, gvk.group, {gvk.kind})

    def field(self, gvk: GVK, path: str) -> Lifetime:
        """Since when ``gvk`` has the field ``path``, counted over the releases that have the kind."""
        with_kind = [r for r in self.releases if gvk in r.fields]
        if not with_kind:
            return Lifetime(oldest=self.oldest)
        present = [gvk in r.fields and path in r.fields[gvk] for r in self.releases]
        first, last, removed = self._lifetime(present)
        if removed is not None and gvk not in self.releases[self.labels.index(removed)].fields:
            removed = None  # the kind went, not the field: the kind's own lifetime says so
        deprecated = next(
            (r.label for r in self.releases if (f := r.fields.get(gvk, {}).get(path)) and f.deprecated), None
        )
        oldest_with_kind = with_kind[0].label
        return Lifetime(first, last, removed, deprecated and minor(deprecated), "", "", oldest_with_kind)

    def field_changes(self, gvk: GVK, path: str) -> list[ReleaseFieldChange]:
        """How the field changed from each release to the next, oldest first."""
        out: list[ReleaseFieldChange] = []
        previous = None
        for r in self.releases:
            kind_fields = r.fields.get(gvk)
            if kind_fields is None:
                previous = None
                continue
            now = kind_fields.get(path)
            if previous is not None and now is None:
                out.append(ReleaseFieldChange(r.label, "removed"))
            elif now is not None and previous is None and r is not self._first_with(gvk):
                out.append(ReleaseFieldChange(r.label, "added", "", now.type))
            elif now is not None and previous is not None:
                out.extend(_release_change(r.label, c) for c in field_changes(previous, now))
            previous = now
        return out

    def _first_with(self, gvk: GVK) -> ApiSurface | None:
        return next((r for r in self.releases if gvk in r.fields), None)

    def removed_group_versions(self) -> list[tuple[str, Lifetime]]:
        """Every group version an embedded release serves and a later one does not."""
        every = sorted({gv for r in self.releases for gv in r.group_versions})
        return [(gv, life) for gv in every if (life := self.group_version(gv)).removed_in is not None]


def _release_change(release: str, change: FieldChange) -> ReleaseFieldChange:
    return ReleaseFieldChange(release, change.what, change.old, change.new)
