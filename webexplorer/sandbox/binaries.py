"""Get real ``etcd``, ``kube-apiserver``, ``kube-controller-manager`` and ``kubectl`` binaries.

The test control plane runs the genuine Kubernetes components, pinned to one version, so behaviour the
explorer relies on (discovery documents, RBAC answers, TokenRequest, audit events) is the real thing.
Nothing may be downloaded from outside the package registries here, so the binaries are *built* from
the Go module proxy: a scratch Go module requires ``k8s.io/kubernetes`` and redirects each of its
``./staging/src/k8s.io/*`` replacements (which only work inside a kubernetes checkout) to the published
``k8s.io/* v0.X.Y`` modules; etcd gets its own scratch module because its dependency set differs.

Results are cached per version under ``$XDG_CACHE_HOME/webexplorer`` (default ``~/.cache/webexplorer``).
Each binary is built into a temporary directory next to the cache and moved in with an atomic rename, so
an interrupted build never leaves a truncated binary behind; a file lock keeps two processes (two pytest
runs, a sandbox and a test run) from building at the same time.

If ``KUBEBUILDER_ASSETS`` names a directory with ``kube-apiserver``, ``etcd`` and ``kubectl`` (the
envtest layout), those are used and only the controller-manager is built (or, when that is impossible,
the control plane runs without one; :data:`NO_CONTROLLER_MANAGER_CONSEQUENCES` says what that loses).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

KUBERNETES_VERSION = "1.37.2"
ETCD_VERSION = "3.6.16"

KUBERNETES_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kubectl")

#: What a control plane without kube-controller-manager lacks; printed whenever that happens.
NO_CONTROLLER_MANAGER_CONSEQUENCES = (
    "running without kube-controller-manager: no ClusterRole aggregation (the built-in 'view', 'edit' and "
    "'admin' roles have no rules), no 'default' ServiceAccount in new namespaces, no garbage collection, "
    "no namespace deletion, and Deployments never get ReplicaSets"
)

#: Rough cold-build times measured on a 2-core machine, told to the user before a build starts.
_COLD_BUILD_HINT = {
    "k8s": "about 5-7 minutes on 2 cores",
    "kcm": "about 2-6 minutes on 2 cores",
    "etcd": "about 1-2 minutes on 2 cores",
}

_HEARTBEAT_SECONDS = 60.0

Log = Callable[[str], None]


class BuildError(Exception):
    """The binaries could not be obtained; the message is one sentence meant for the user as is."""


@dataclass(frozen=True)
class Binaries:
    """Paths of the control-plane programs, ready to execute."""

    etcd: Path
    kube_apiserver: Path
    kube_controller_manager: Path | None
    kubectl: Path
    #: Where they came from: ``"cache"`` or ``"KUBEBUILDER_ASSETS"`` (then versions may differ from ours).
    source: str = "cache"


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/webexplorer``, falling back to ``~/.cache/webexplorer`` as the XDG spec says."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "webexplorer"


def kubernetes_dir(root: Path | None = None, version: str = KUBERNETES_VERSION) -> Path:
    """Cache directory holding the Kubernetes binaries of ``version`` (default :data:`KUBERNETES_VERSION`)."""
    return (root or cache_root()) / f"k8s-v{version}"


def etcd_dir(root: Path | None = None) -> Path:
    """Cache directory holding the etcd binary of :data:`ETCD_VERSION`."""
    return (root or cache_root()) / f"etcd-v{ETCD_VERSION}"


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{seconds:.1f}s"


@contextlib.contextmanager
def build_lock(root: Path, log: Log, name: str = "build") -> Iterator[None]:
    """Hold an exclusive ``flock`` on the cache (``<root>/<name>.lock``) for the duration of a build.

    ``flock`` is released by the kernel when the holder dies, so a killed build never leaves a stale lock.
    Builds of different scratch modules take different names so they need not wait for each other.
    """
    root.mkdir(parents=True, exist_ok=True)
    with (root / f"{name}.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"another process is building into {root}; waiting for it to finish")
            started = time.monotonic()
            fcntl.flock(handle, fcntl.LOCK_EX)
            log(f"the other build finished after {_duration(time.monotonic() - started)}")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _go_env() -> dict[str, str]:
    """The environment for ``go``: module mode updating go.mod, no VCS stamping, no workspace file.

    ``GOFLAGS`` from the environment is kept and extended rather than replaced.
    """
    env = dict(os.environ)
    flags = env.get("GOFLAGS", "").split()
    flags = [flag for flag in flags if not flag.startswith("-mod=")]
    env["GOFLAGS"] = " ".join([*flags, "-mod=mod", "-buildvcs=false"])
    env["GOWORK"] = "off"
    env["GO111MODULE"] = "on"
    return env


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            "Go is needed to build the sandbox's Kubernetes and etcd binaries but `go` is not on PATH: "
            "install Go 1.26 or newer, or set KUBEBUILDER_ASSETS to a directory of envtest binaries."
        )
    return go


def _last_error_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith('"Error":'):  # `go mod download -json` reports failures as a JSON field
            try:
                return str(json.loads("{" + line.rstrip(",") + "}")["Error"])
            except ValueError:
                return line
        if any(word in line.lower() for word in ("error", "fail", "cannot", "no such", "not found")):
            return line
    return lines[-1] if lines else "no output"


def _run_go(
    args: Sequence[str], *, cwd: Path, log_file: Path, log: Log, what: str, cgo: str | None = None
) -> str:
    """Run one ``go`` command, appending its output to ``log_file``; return that output.

    Long steps print a heartbeat every minute so nobody mistakes a cold build for a hang. ``cgo`` sets
    ``CGO_ENABLED`` when given.
    """
    with log_file.open("a") as sink:
        sink.write(f"\n$ {' '.join(args)}\n")
        sink.flush()
        start_offset = sink.tell()
        env = _go_env()
        if cgo is not None:
            env["CGO_ENABLED"] = cgo
        process = subprocess.Popen(list(args), cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
        started = time.monotonic()
        next_beat = started + _HEARTBEAT_SECONDS
        try:
            while process.poll() is None:
                time.sleep(0.5)
                if time.monotonic() >= next_beat:
                    log(f"  ... still {what} ({_duration(time.monotonic() - started)} so far)")
                    next_beat += _HEARTBEAT_SECONDS
        except BaseException:
            process.terminate()
            process.wait()
            raise
    with log_file.open() as source:
        source.seek(start_offset)
        output = source.read()
    if process.returncode != 0:
        raise BuildError(f"{what} failed: {_last_error_line(output)} (full log: {log_file})")
    return output


_STAGING_REPLACE = re.compile(r"^\s*(k8s\.io/[\w.-]+)\s+=>\s+\./staging/src/\1\s*$", re.MULTILINE)


def _kubernetes_go_mod(go: str, scratch: Path, log_file: Path, log: Log, version: str) -> str:
    """Write a go.mod that builds ``k8s.io/kubernetes`` outside its repository.

    kubernetes' own go.mod replaces every ``k8s.io/<staging>`` module with a directory of its checkout;
    we read that list from the downloaded go.mod and point each at the published module of the matching
    ``v0.<minor>.<patch>`` version instead.
    """
    output = _run_go(
        [go, "mod", "download", "-json", f"k8s.io/kubernetes@v{version}"],
        cwd=scratch,
        log_file=log_file,
        log=log,
        what=f"downloading k8s.io/kubernetes v{version} from the Go module proxy",
    )
    start = output.find("{")
    try:
        info = json.loads(output[start:])
        upstream = Path(info["GoMod"]).read_text()
    except (ValueError, KeyError, OSError) as exc:
        raise BuildError(
            f"the Go module proxy gave no usable go.mod for k8s.io/kubernetes v{version} ({exc})"
        ) from exc
    staging = sorted(set(_STAGING_REPLACE.findall(upstream)))
    if not staging:
        raise BuildError(
            f"k8s.io/kubernetes v{version}'s go.mod has no ./staging replacements to redirect; "
            "the build recipe needs updating for this version"
        )
    minor_patch = version.split(".", 1)[1]
    replaces = "\n".join(f"\t{name} => {name} v0.{minor_patch}" for name in staging)
    return (
        "module webexplorer.local/sandbox-kubernetes\n\n"
        "go 1.26.0\n\n"
        f"require k8s.io/kubernetes v{version}\n\n"
        f"replace (\n{replaces}\n)\n"
    )


def _tools_go(imports: Sequence[str]) -> str:
    lines = "\n".join(f'\t_ "{path}"' for path in imports)
    return f"//go:build tools\n\npackage tools\n\nimport (\n{lines}\n)\n"


def _install(built: Path, target_dir: Path, names: Sequence[str]) -> None:
    """Move freshly built binaries into the cache, one atomic rename each."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        os.replace(built / name, target_dir / name)


def _clean_stale_temp(root: Path) -> None:
    """Remove temp build outputs left by killed builds (safe: we hold the build lock)."""
    for stale in root.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _build_kubernetes(
    root: Path, commands: Sequence[str], log: Log, version: str = KUBERNETES_VERSION
) -> None:
    go = _go()
    scratch = root / "build" / f"k8s-v{version}"
    scratch.mkdir(parents=True, exist_ok=True)
    log_file = scratch / "build.log"
    log_file.write_text("")
    for stale in ("go.mod", "go.sum", "tools.go"):
        (scratch / stale).unlink(missing_ok=True)
    kind = "kcm" if list(commands) == ["kube-controller-manager"] else "k8s"
    log(
        f"building {', '.join(commands)} v{version} from the Go module proxy; "
        f"the first time takes {_COLD_BUILD_HINT[kind]} "
        f"(later runs use the cache in {kubernetes_dir(root, version)}); log: {log_file}"
    )
    started = time.monotonic()
    packages = [f"k8s.io/kubernetes/cmd/{name}" for name in commands]
    (scratch / "go.mod").write_text(_kubernetes_go_mod(go, scratch, log_file, log, version))
    (scratch / "tools.go").write_text(_tools_go(packages))
    step = time.monotonic()
    _run_go(
        [go, "get", *(f"{pkg}@v{version}" for pkg in packages)],
        cwd=scratch,
        log_file=log_file,
        log=log,
        what=f"resolving k8s.io/kubernetes v{version}'s dependencies from the Go module proxy",
    )
    log(f"  resolved modules in {_duration(time.monotonic() - step)}")
    major, minor, _ = version.split(".")
    ldflags = " ".join(
        [
            "-s -w",
            f"-X k8s.io/component-base/version.gitVersion=v{version}",
            f"-X k8s.io/component-base/version.gitMajor={major}",
            f"-X k8s.io/component-base/version.gitMinor={minor}",
            "-X k8s.io/component-base/version.gitTreeState=clean",
        ]
    )
    # An older release builds under its own lock, so its temp dir must not match the ".tmp-*" that the
    # pinned version's build sweeps away as stale.
    prefix = ".tmp-k8s-" if version == KUBERNETES_VERSION else f".release-k8s-v{version}-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=root) as out:
        step = time.monotonic()
        _run_go(
            [go, "build", "-ldflags", ldflags, "-o", out + "/", *packages],
            cwd=scratch,
            log_file=log_file,
            log=log,
            what=f"compiling {', '.join(commands)}",
        )
        log(f"  compiled {', '.join(commands)} in {_duration(time.monotonic() - step)}")
        _install(Path(out), kubernetes_dir(root, version), commands)
    log(f"built {', '.join(commands)} in {_duration(time.monotonic() - started)}")


@dataclass(frozen=True)
class GoCommands:
    """Commands built from one Go module that needs no ``replace`` directives (etcd, containerd, helm)."""

    label: str  # for messages and the scratch directory, e.g. "etcd v3.6.16"
    module: str
    version: str  # without the leading "v"
    packages: tuple[str, ...]  # main packages; each binary is named after its last path element
    hint: str  # the cold-build time told to the user
    ldflags: str = "-s -w"
    tags: str = ""
    cgo: bool = True
    #: The binaries' file names, when not the packages' last path elements (a module root "…/v3").
    binaries: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The binaries' file names."""
        return self.binaries or tuple(package.rstrip("/").rsplit("/", 1)[-1] for package in self.packages)


def build_go_commands(root: Path, spec: GoCommands, target_dir: Path, log: Log) -> None:
    """Build ``spec``'s commands in a scratch module that requires its module, into ``target_dir``.

    The caller holds a :func:`build_lock`. Each binary is moved into place with an atomic rename.
    """
    go = _go()
    scratch = root / "build" / spec.label.replace(" ", "-")
    scratch.mkdir(parents=True, exist_ok=True)
    log_file = scratch / "build.log"
    log_file.write_text("")
    log(
        f"building {', '.join(spec.names)} ({spec.label}) from the Go module proxy; the first time takes "
        f"{spec.hint}; log: {log_file}"
    )
    started = time.monotonic()
    (scratch / "go.mod").write_text(
        f"module webexplorer.local/sandbox-{spec.names[0]}\n\ngo 1.26.0\n\n"
        f"require {spec.module} v{spec.version}\n"
    )
    (scratch / "go.sum").unlink(missing_ok=True)
    (scratch / "tools.go").write_text(_tools_go(spec.packages))
    _run_go(
        [go, "get", *(f"{package}@v{spec.version}" for package in spec.packages)],
        cwd=scratch,
        log_file=log_file,
        log=log,
        what=f"downloading {spec.label} from the Go module proxy",
    )
    tags = ["-tags", spec.tags] if spec.tags else []
    with tempfile.TemporaryDirectory(prefix=f".tmp-{spec.names[0]}-", dir=root) as out:
        argv = [go, "build", *tags, "-ldflags", spec.ldflags, "-o", out + "/", *spec.packages]
        if len(spec.packages) == 1:
            argv[-2] = str(Path(out) / spec.names[0])
        env_cgo = None if spec.cgo else "0"
        _run_go(argv, cwd=scratch, log_file=log_file, log=log, what=f"compiling {spec.label}", cgo=env_cgo)
        _install(Path(out), target_dir, spec.names)
    log(f"built {', '.join(spec.names)} in {_duration(time.monotonic() - started)}")


def _etcd_spec() -> GoCommands:
    return GoCommands(
        label=f"etcd v{ETCD_VERSION}",
        module="go.etcd.io/etcd/server/v3",
        version=ETCD_VERSION,
        packages=("go.etcd.io/etcd/server/v3",),  # its module root is etcd's `main` package
        hint=_COLD_BUILD_HINT["etcd"],
        ldflags=f"-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=v{ETCD_VERSION}",
        binaries=("etcd",),
    )


def _build_etcd(root: Path, log: Log) -> None:
    build_go_commands(root, _etcd_spec(), etcd_dir(root), log)


def _envtest_assets(log: Log) -> Path | None:
    """The ``KUBEBUILDER_ASSETS`` directory, if it is set and holds what we need."""
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    if not assets:
        return None
    directory = Path(assets)
    missing = [n for n in ("kube-apiserver", "etcd", "kubectl") if not _executable(directory / n)]
    if missing:
        log(f"KUBEBUILDER_ASSETS={assets} lacks {', '.join(missing)}; ignoring it and using our own build")
        return None
    return directory


def ensure_apiserver(version: str, log: Log = print, *, root: Path | None = None) -> Path:
    """The ``kube-apiserver`` of Kubernetes ``version`` (``"1.31.14"``), built from its Go module once.

    Recording an older release's API (``scripts/record-releases``) needs only its API server: etcd and
    kubectl of the pinned version serve every release in the embedded range. Each version builds under
    its own lock, so it runs beside (not after) a build of the pinned version.
    """
    root = root or cache_root()
    target = kubernetes_dir(root, version) / "kube-apiserver"
    if not _executable(target):
        with build_lock(root, log, f"build-k8s-v{version}"):
            if not _executable(target):
                _build_kubernetes(root, ["kube-apiserver"], log, version)
    return target


def _version_line(binary: Path) -> str:
    try:
        result = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    return (
        (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else ""
    )


def ensure_binaries(log: Log = print, *, root: Path | None = None, use_envtest: bool = True) -> Binaries:
    """Return the control-plane binaries, building whatever the cache lacks.

    ``log`` receives one line per step with timings. Raises :class:`BuildError` (with a one-sentence
    message) when Go is missing, the module proxy cannot be reached, or compilation fails.
    """
    root = root or cache_root()
    assets = _envtest_assets(log) if use_envtest else None
    if assets is not None:
        return _with_envtest_assets(assets, root, log)
    k8s = kubernetes_dir(root)
    missing = [name for name in KUBERNETES_COMMANDS if not _executable(k8s / name)]
    etcd_missing = not _executable(etcd_dir(root) / "etcd")
    if missing or etcd_missing:
        with build_lock(root, log):
            _clean_stale_temp(root)
            # Re-check under the lock: another process may have built them while we waited.
            missing = [name for name in KUBERNETES_COMMANDS if not _executable(k8s / name)]
            if missing:
                _build_kubernetes(root, missing, log)
            if not _executable(etcd_dir(root) / "etcd"):
                _build_etcd(root, log)
    return Binaries(
        etcd=etcd_dir(root) / "etcd",
        kube_apiserver=k8s / "kube-apiserver",
        kube_controller_manager=k8s / "kube-controller-manager",
        kubectl=k8s / "kubectl",
    )


def _with_envtest_assets(assets: Path, root: Path, log: Log) -> Binaries:
    """Use envtest's binaries, adding a controller-manager from the cache or a build when possible."""
    version = _version_line(assets / "kube-apiserver")
    log(f"using KUBEBUILDER_ASSETS={assets} ({version})")
    if f"v{KUBERNETES_VERSION}" not in version:
        log(f"note: the pinned Kubernetes version is v{KUBERNETES_VERSION}; tests that check it will fail")
    kcm: Path | None = None
    for candidate in (assets / "kube-controller-manager", kubernetes_dir(root) / "kube-controller-manager"):
        if _executable(candidate):
            kcm = candidate
            break
    if kcm is None:
        try:
            with build_lock(root, log):
                _clean_stale_temp(root)
                target = kubernetes_dir(root) / "kube-controller-manager"
                if not _executable(target):
                    _build_kubernetes(root, ["kube-controller-manager"], log)
                kcm = target
        except BuildError as exc:
            log(f"could not build kube-controller-manager ({exc}); {NO_CONTROLLER_MANAGER_CONSEQUENCES}")
    return Binaries(
        etcd=assets / "etcd",
        kube_apiserver=assets / "kube-apiserver",
        kube_controller_manager=kcm,
        kubectl=assets / "kubectl",
        source="KUBEBUILDER_ASSETS",
    )
