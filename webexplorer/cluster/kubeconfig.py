"""Kubeconfig files: load and merge like kubectl; :mod:`.kubecontext` resolves one context of them.

Merging follows ``clientcmd``: files are read in order, and for every cluster, user and context name
(and for ``current-context``) the first file that defines it wins. Relative paths inside a file
(``certificate-authority``, ``client-certificate``, ``client-key``, ``tokenFile``, and an exec
``command`` that contains a ``/``) resolve against *that file's* directory, so a merged config behaves
as each file alone would.

Nothing here talks to the network or runs a plugin; :mod:`webexplorer.cluster.connection` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from webexplorer.cluster.errors import KubeconfigError
from webexplorer.cluster.kubecontext import ResolvedContext, resolve_context
from webexplorer.cluster.kubefields import Entry, kind_of, opt_str

try:  # the C loader is several times faster on big merged configs
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class ContextInfo:
    """One context as a picker shows it."""

    name: str
    cluster: str
    user: str
    namespace: str | None
    current: bool
    source: Path


def kubeconfig_paths(explicit: str | None, env: Mapping[str, str]) -> tuple[list[Path], bool, str]:
    """Which files to read: ``--kubeconfig``, else ``$KUBECONFIG``, else ``~/.kube/config``.

    Returns the paths, whether every one must exist (an explicit list must; ``$KUBECONFIG`` entries
    that do not exist are skipped, as kubectl skips them) and a phrase saying where the list came from.
    """
    home = env.get("HOME") or str(Path.home())

    def expand(item: str) -> Path:
        if item == "~" or item.startswith("~/"):
            item = home + item[1:]
        return Path(item)

    def split(value: str) -> list[Path]:
        seen: list[Path] = []
        for item in value.split(os.pathsep):
            if item.strip() and expand(item.strip()) not in seen:
                seen.append(expand(item.strip()))
        return seen

    if explicit:
        return split(explicit), True, "--kubeconfig"
    if env.get("KUBECONFIG", "").strip():
        return split(env["KUBECONFIG"]), False, "$KUBECONFIG"
    return [Path(home) / ".kube" / "config"], True, "the default ~/.kube/config"


class Kubeconfig:
    """The merged view of one or more kubeconfig files."""

    def __init__(
        self,
        paths: Sequence[Path],
        current_context: str | None,
        clusters: Mapping[str, Entry],
        users: Mapping[str, Entry],
        contexts: Mapping[str, Entry],
    ) -> None:
        self.paths = tuple(paths)
        self.current_context = current_context
        self._clusters = dict(clusters)
        self._users = dict(users)
        self._contexts = dict(contexts)

    def __repr__(self) -> str:
        return f"Kubeconfig(paths={[str(p) for p in self.paths]}, contexts={list(self._contexts)})"

    @property
    def where(self) -> str:
        """The file list as a phrase for messages."""
        return ", ".join(str(p) for p in self.paths) or "(no file)"

    def context_names(self) -> list[str]:
        return list(self._contexts)

    def contexts(self) -> list[ContextInfo]:
        """Every context, in file order, for a picker."""
        infos = []
        for entry in self._contexts.values():
            namespace = entry.body.get("namespace")
            infos.append(
                ContextInfo(
                    name=entry.name,
                    cluster=str(entry.body.get("cluster") or ""),
                    user=str(entry.body.get("user") or ""),
                    namespace=namespace if isinstance(namespace, str) and namespace else None,
                    current=entry.name == self.current_context,
                    source=entry.source,
                )
            )
        return infos

    def resolve(self, context: str | None = None) -> ResolvedContext:
        """Turn ``context`` (default: current-context) into connection settings, or raise a sentence."""
        names = ", ".join(self._contexts) or "none"
        if context is None:
            if not self.current_context:
                raise KubeconfigError(
                    f"The kubeconfig {self.where} sets no current-context: choose one with --context "
                    f"(contexts: {names})."
                )
            context = self.current_context
        ctx_entry = self._contexts.get(context)
        if ctx_entry is None:
            raise KubeconfigError(
                f"The kubeconfig {self.where} has no context named {context!r}: choose one of {names} "
                "with --context, or fix current-context."
            )
        cx = ctx_entry.body
        cluster_name = opt_str(cx, "cluster", f"context {context!r}", ctx_entry.source)
        user_name = opt_str(cx, "user", f"context {context!r}", ctx_entry.source) or ""
        namespace = opt_str(cx, "namespace", f"context {context!r}", ctx_entry.source) or "default"
        if not cluster_name:
            raise KubeconfigError(
                f"Context {context!r} in {ctx_entry.source} names no cluster: add 'cluster: NAME' to it."
            )
        cl_entry = self._clusters.get(cluster_name)
        if cl_entry is None:
            raise KubeconfigError(
                f"Context {context!r} in {ctx_entry.source} names cluster {cluster_name!r}, which no "
                f"kubeconfig file ({self.where}) defines: add it under clusters or fix the context."
            )
        if user_name and user_name not in self._users:
            raise KubeconfigError(
                f"Context {context!r} in {ctx_entry.source} names user {user_name!r}, which no kubeconfig "
                f"file ({self.where}) defines: add it under users or fix the context."
            )
        us_entry = self._users.get(user_name) if user_name else None
        return resolve_context(context, ctx_entry, cl_entry, us_entry, namespace)


def load_kubeconfig(
    paths: Sequence[Path], *, strict: bool = True, origin: str = "--kubeconfig"
) -> Kubeconfig:
    """Read and merge ``paths``. With ``strict`` a missing file is an error; otherwise it is skipped
    (as kubectl skips missing ``$KUBECONFIG`` entries) unless none of them exists."""
    loaded: list[Path] = []
    current: str | None = None
    clusters: dict[str, Entry] = {}
    users: dict[str, Entry] = {}
    contexts: dict[str, Entry] = {}
    for path in paths:
        document = _read(path, strict=strict)
        if document is None:
            continue
        loaded.append(path)
        cc = document.get("current-context")
        if cc is not None and not isinstance(cc, str):
            raise KubeconfigError(
                f"The kubeconfig {path} has a current-context that is not a name ({kind_of(cc)}): make it "
                "a context name or remove it."
            )
        if not current and cc:
            current = cc
        for key, inner, into in (
            ("clusters", "cluster", clusters),
            ("users", "user", users),
            ("contexts", "context", contexts),
        ):
            for entry in _entries(document, key, inner, path):
                into.setdefault(entry.name, entry)
    if not loaded:
        listed = ", ".join(str(p) for p in paths) or "(empty list)"
        raise KubeconfigError(
            f"No kubeconfig file exists at {listed} (from {origin}): create one (kubectl config), set "
            "--kubeconfig, or use --server."
        )
    return Kubeconfig(loaded, current, clusters, users, contexts)


def _read(path: Path, *, strict: bool) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if strict:
            raise KubeconfigError(
                f"The kubeconfig {path} does not exist: check --kubeconfig / $KUBECONFIG, or create it "
                "with kubectl config."
            ) from None
        return None
    except OSError as exc:
        raise KubeconfigError(
            f"The kubeconfig {path} could not be read ({exc.strerror or type(exc).__name__}): fix its "
            "permissions or point --kubeconfig at a readable file."
        ) from None
    try:
        document = yaml.load(raw, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = exc.problem or "syntax error"
        raise KubeconfigError(
            f"The kubeconfig {path} is not valid YAML ({problem}{where}): fix the file or point "
            "--kubeconfig at another one."
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise KubeconfigError(
            f"The kubeconfig {path} is not valid YAML ({type(exc).__name__}): fix the file or point "
            "--kubeconfig at another one."
        ) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise KubeconfigError(
            f"The kubeconfig {path} is {kind_of(document)}, not a mapping with clusters, users and contexts: "
            "check that it really is a kubeconfig."
        )
    return document


def _entries(document: Mapping[str, Any], key: str, inner: str, path: Path) -> list[Entry]:
    items = document.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise KubeconfigError(
            f"The kubeconfig {path}: '{key}' is {kind_of(items)}, not a list of entries with name and "
            f"{inner}: fix the file."
        )
    entries = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise KubeconfigError(
                f"The kubeconfig {path}: entry {index} of '{key}' is {kind_of(item)}, not a mapping with "
                f"name and {inner}: fix the file."
            )
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise KubeconfigError(
                f"The kubeconfig {path}: entry {index} of '{key}' has no name: give it 'name: ...'."
            )
        body = item.get(inner)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise KubeconfigError(
                f"The kubeconfig {path}: '{inner}' of {key[:-1]} {name!r} is {kind_of(body)}, not a mapping: "
                "fix the file."
            )
        entries.append(Entry(name, body, path))
    return entries
