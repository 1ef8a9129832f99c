"""What the pod the explorer runs in knows about itself, through the Downward API.

Kubernetes hands a container facts about its own pod in two ways, and this module reads both:

* **environment variables** (``env[].valueFrom.fieldRef`` / ``resourceFieldRef``), fixed when the
  container starts — fine for the name, namespace, IP, node and service account, which never change;
* a **``downwardAPI`` volume** (default ``/etc/podinfo``), whose files the kubelet rewrites when the pod
  changes — the only way to get labels and annotations at all, and the way to see them change
  (``kubectl label pod ...``) without a restart.

The kubelet updates that volume the way it updates every projected volume (``AtomicWriter``): a new
timestamped directory, then one ``rename(2)`` of the ``..data`` symlink. So the reader resolves
``..data`` *once* and reads every file through that one target, which gives a consistent set even while
a swap happens, and caches what it parsed by that target: re-reading per request costs one
``readlink``. A directory without ``..data`` (a plain directory, a ``hostPath``) is re-read every time.

Labels and annotations files hold one ``key="value"`` line per entry, sorted by key, with the value
quoted the way Go's ``%q`` quotes (``strconv.Quote``): a newline inside an annotation is the two
characters ``\\n``. :func:`go_unquote` undoes exactly that quoting.

Pure: no HTTP framework, no cluster access. The environment variable names are this project's own
convention (the ones ``k8s/base`` sets); :data:`ITEMS` is the single list the page, the manifests' test
and the "how to expose it" snippets are built from.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DATA_LINK = "..data"
DEFAULT_PODINFO_DIR = Path("/etc/podinfo")
#: the explorer's container name in k8s/base (resourceFieldRef in a volume must name a container)
CONTAINER_NAME = "webexplorer"

Source = Literal["fieldRef", "resourceFieldRef"]


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One Downward API fact and the ways it can be exposed."""

    key: str
    title: str
    source: Source
    #: ``fieldPath`` (fieldRef) or ``resource`` (resourceFieldRef)
    path: str
    #: environment variable name, when the fact may be an env var (labels and annotations may not)
    env: str | None
    #: file name in the downwardAPI volume, when the fact may be a volume file (status.podIP,
    #: spec.nodeName and spec.serviceAccountName may not)
    file: str | None
    divisor: str | None = None
    #: unit of the number the divisor gives, for the page
    unit: str = ""
    why: str = ""

    def _ref(self, indent: int) -> str:
        pad = " " * indent
        if self.source == "fieldRef":
            return f"{pad}fieldRef:\n{pad}  fieldPath: {self.path}\n"
        return (
            f"{pad}resourceFieldRef:\n{pad}  containerName: {CONTAINER_NAME}\n"
            f"{pad}  resource: {self.path}\n{pad}  divisor: {self.divisor}\n"
        )

    def env_yaml(self) -> str:
        """The ``env`` entry that would expose this fact (container level)."""
        if self.env is None:
            return ""
        return f"env:\n  - name: {self.env}\n    valueFrom:\n{self._ref(6)}"

    def volume_yaml(self) -> str:
        """The ``downwardAPI`` volume item that would expose this fact (pod level, plus the mount)."""
        if self.file is None:
            return ""
        return (
            "volumes:\n  - name: podinfo\n    downwardAPI:\n      items:\n"
            f"        - path: {self.file}\n{self._ref(10)}"
            "# and in the container:\nvolumeMounts:\n  - name: podinfo\n"
            "    mountPath: /etc/podinfo\n    readOnly: true\n"
        )


ITEMS: tuple[ItemSpec, ...] = (
    ItemSpec("name", "Pod name", "fieldRef", "metadata.name", "POD_NAME", "name",
             why="tells replicas apart in logs and on this page"),
    ItemSpec("namespace", "Namespace", "fieldRef", "metadata.namespace", "POD_NAMESPACE", "namespace",
             why="the default namespace of try-it forms"),
    ItemSpec("ip", "Pod IP", "fieldRef", "status.podIP", "POD_IP", None,
             why="which replica behind the Service answered"),
    ItemSpec("node", "Node", "fieldRef", "spec.nodeName", "NODE_NAME", None,
             why="where the pod was scheduled"),
    ItemSpec("service_account", "Service account", "fieldRef", "spec.serviceAccountName",
             "POD_SERVICE_ACCOUNT", None, why="whose RBAC rights the explorer uses by default"),
    ItemSpec("cpu_request", "CPU request", "resourceFieldRef", "requests.cpu", "CPU_REQUEST_MILLICORES",
             "cpu_request_millicores", divisor="1m", unit="millicores",
             why="the share of CPU the scheduler reserved"),
    ItemSpec("memory_limit", "Memory limit", "resourceFieldRef", "limits.memory", "MEMORY_LIMIT_KIB",
             "memory_limit_kib", divisor="1Ki", unit="KiB",
             why="the most memory the container may use before it is killed"),
    ItemSpec("labels", "Labels", "fieldRef", "metadata.labels", None, "labels",
             why="only a volume can carry them, and the kubelet rewrites it when they change"),
    ItemSpec("annotations", "Annotations", "fieldRef", "metadata.annotations", None, "annotations",
             why="only a volume can carry them, and the kubelet rewrites it when they change"),
)  # fmt: skip
ITEMS_BY_KEY = {spec.key: spec for spec in ITEMS}
MAP_ITEMS = frozenset({"labels", "annotations"})


# ------------------------------------------------------------------------------------------------ Go %q


_SIMPLE_ESCAPES = {
    "a": b"\a", "b": b"\b", "f": b"\f", "n": b"\n", "r": b"\r", "t": b"\t", "v": b"\v",
    "\\": b"\\", '"': b'"', "'": b"'",
}  # fmt: skip
_HEX = re.compile(r"[0-9a-fA-F]+")
_OCTAL = re.compile(r"[0-7]{3}")


def go_unquote(text: str) -> str:
    """Undo Go's ``strconv.Quote`` (``%q``): ``"a\\nb"`` → ``a<newline>b``.

    Handles every escape Go's ``strconv.Unquote`` accepts for double-quoted strings (``\\xNN`` and octal
    are *bytes*, ``\\uNNNN``/``\\UNNNNNNNN`` code points). Raises ValueError on anything else, so a
    malformed line is reported rather than shown wrong. Invalid UTF-8 becomes U+FFFD, as Go prints it.
    """
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError("not a double-quoted string")
    body = text[1:-1]
    out = bytearray()
    i, n = 0, len(body)
    while i < n:
        backslash = body.find("\\", i)
        plain = body[i:] if backslash == -1 else body[i:backslash]
        if '"' in plain:
            raise ValueError("unescaped double quote")
        out += plain.encode()
        if backslash == -1:
            break
        if backslash + 1 >= n:
            raise ValueError("trailing backslash")
        kind = body[backslash + 1]
        i = backslash + 2
        if kind in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[kind]
        elif kind in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[kind]
            digits = body[i : i + width]
            if len(digits) != width or not _HEX.fullmatch(digits):
                raise ValueError(f"bad \\{kind} escape")
            number = int(digits, 16)
            i += width
            if kind == "x":
                out.append(number)
            else:
                if number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
                    raise ValueError(f"\\{kind} escape is not a valid code point")
                out += chr(number).encode("utf-8")
        elif kind in "01234567":
            digits = body[i - 1 : i + 2]
            if not _OCTAL.fullmatch(digits) or int(digits, 8) > 0xFF:
                raise ValueError("bad octal escape")
            out.append(int(digits, 8))
            i += 2
        else:
            raise ValueError(f"unknown escape \\{kind}")
    return out.decode("utf-8", "replace")


# ------------------------------------------------------------------------------------------------ model


@dataclass(frozen=True, slots=True)
class Entry:
    """One label or annotation."""

    key: str
    value: str
    #: the line as the kubelet wrote it (``key="escaped value"``)
    raw: str

    @property
    def multiline(self) -> bool:
        return "\n" in self.value.rstrip("\n")

    @property
    def lines(self) -> int:
        return self.value.rstrip("\n").count("\n") + 1


@dataclass(frozen=True, slots=True)
class MapFile:
    """A parsed labels or annotations file."""

    entries: tuple[Entry, ...]
    #: lines that are not ``key="value"`` (shown, never silently dropped)
    bad_lines: tuple[str, ...] = ()

    def get(self, key: str) -> str | None:
        return next((e.value for e in self.entries if e.key == key), None)


def parse_map_file(text: str) -> MapFile:
    """Parse the kubelet's ``key="value"`` lines (labels or annotations)."""
    entries: list[Entry] = []
    bad: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        key, sep, quoted = line.partition("=")
        try:
            if not sep or not key:
                raise ValueError("no key")
            entries.append(Entry(key, go_unquote(quoted), line))
        except ValueError:
            bad.append(line)
    return MapFile(tuple(entries), tuple(bad))


@dataclass(frozen=True, slots=True)
class Item:
    """One fact as found: from the environment, from the volume, both, or neither."""

    spec: ItemSpec
    env_value: str | None = None
    file_value: str | None = None
    file_path: Path | None = None
    parsed: MapFile | None = None

    @property
    def exposed(self) -> bool:
        return self.env_value is not None or self.file_value is not None

    @property
    def value(self) -> str | None:
        """The current value: the volume's when there is one (it follows changes), else the env var's."""
        return self.file_value if self.file_value is not None else self.env_value

    @property
    def differs(self) -> bool:
        """Both ways are exposed and disagree — e.g. after an in-place resize, which rewrites the volume
        but cannot change a running process's environment."""
        return (
            self.env_value is not None
            and self.file_value is not None
            and self.env_value.strip() != self.file_value.strip()
        )

    @property
    def human(self) -> str:
        """The value with its unit spelled out (``250 millicores (0.25 CPU)``)."""
        value = (self.value or "").strip()
        if not value.isdigit():
            return value
        number = int(value)
        if self.spec.key == "cpu_request":
            return f"{number} millicores ({number / 1000:g} CPU)"
        if self.spec.key == "memory_limit":
            return f"{number} KiB ({_binary_size(number * 1024)})"
        return value


def _binary_size(size: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} B"


@dataclass(frozen=True, slots=True)
class PodInfo:
    """Everything the page shows."""

    in_pod: bool
    #: one sentence: why the explorer thinks it is (not) in a pod
    reason: str
    directory: Path
    #: the ``..data`` target the volume files were read through (None: no kubelet-style volume)
    data_version: str | None
    items: tuple[Item, ...]
    problems: tuple[str, ...] = field(default=())

    def item(self, key: str) -> Item:
        return next(i for i in self.items if i.spec.key == key)

    @property
    def missing(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if not i.exposed)


# ------------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True, slots=True)
class _VolumeSnapshot:
    data_version: str | None
    files: Mapping[str, str]
    problems: tuple[str, ...]


class PodInfoReader:
    """Reads the Downward API; cheap enough to call on every request (see the module docstring)."""

    def __init__(self, directory: Path = DEFAULT_PODINFO_DIR) -> None:
        self.directory = directory
        self._cached: _VolumeSnapshot | None = None

    def _volume(self) -> _VolumeSnapshot:
        try:
            target = os.readlink(self.directory / DATA_LINK)
        except OSError:
            target = None
        if target is not None and self._cached is not None and self._cached.data_version == target:
            return self._cached
        base = self.directory / target if target is not None else self.directory
        files: dict[str, str] = {}
        problems: list[str] = []
        for spec in ITEMS:
            if spec.file is None:
                continue
            path = base / spec.file
            try:
                files[spec.file] = path.read_text(encoding="utf-8", errors="replace")
            except FileNotFoundError:
                continue
            except OSError as exc:
                problems.append(f"{self.directory / spec.file} could not be read ({exc.strerror or exc}).")
        snapshot = _VolumeSnapshot(target, files, tuple(problems))
        if target is not None:
            self._cached = snapshot
        return snapshot

    def read(self, env: Mapping[str, str]) -> PodInfo:
        """The current facts from ``env`` (normally ``os.environ``) and the volume directory."""
        volume = self._volume()
        items: list[Item] = []
        problems = list(volume.problems)
        for spec in ITEMS:
            env_value = env.get(spec.env) if spec.env else None
            file_value = volume.files.get(spec.file) if spec.file else None
            parsed = None
            if spec.key in MAP_ITEMS and file_value is not None:
                parsed = parse_map_file(file_value)
                if parsed.bad_lines:
                    problems.append(
                        f"{len(parsed.bad_lines)} line(s) of {self.directory / (spec.file or '')} are not "
                        'key="value" as the kubelet writes them; they are shown as they are.'
                    )
            items.append(
                Item(
                    spec,
                    env_value=env_value,
                    file_value=file_value,
                    file_path=self.directory / spec.file if file_value is not None and spec.file else None,
                    parsed=parsed,
                )
            )
        exposed = [i for i in items if i.exposed]
        if env.get("KUBERNETES_SERVICE_HOST"):
            in_pod, reason = True, "KUBERNETES_SERVICE_HOST is set, as Kubernetes sets it in every container."
        elif exposed:
            in_pod, reason = True, "Downward API values are present."
        else:
            in_pod, reason = (
                False,
                (
                    "The explorer is not running in a pod: KUBERNETES_SERVICE_HOST is not set, no "
                    f"Downward API variables are set and {self.directory} holds no Downward API files."
                ),
            )
        return PodInfo(in_pod, reason, self.directory, volume.data_version, tuple(items), tuple(problems))
