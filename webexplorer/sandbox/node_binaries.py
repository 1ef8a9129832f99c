"""Get the programs of a sandbox *node*: containerd, kubelet, kube-proxy, kube-scheduler, pause, helm.

A node runs Pods, so it needs what the control plane (:mod:`webexplorer.sandbox.binaries`) does not:

- containerd 2.x with ``containerd-shim-runc-v2`` and ``ctr``, from its Go module. Debian 12's 1.6 lacks
  the ``RuntimeConfig`` CRI call kubelets use to learn the cgroup driver, and is out of support.
- ``kubelet``, ``kube-proxy`` and ``kube-scheduler`` from the same ``k8s.io/kubernetes`` module and the
  same scratch build as the control plane (so the Go build cache is shared, and they take the control
  plane's build lock: the two builds would otherwise write one scratch module at once).
- ``pause``, the sandbox container's process: no registry can be reached here, so the image
  ``registry.k8s.io/pause`` is built locally (:mod:`webexplorer.sandbox.images`) around a twenty-line Go
  program of ours that waits for SIGTERM and reaps zombies, which is all the real one does.
- ``helm`` (v4, from its Go module) for the chart tests.

``runc``, the CNI plugins (``bridge``, ``host-local``, ``loopback``), ``iptables``, ``buildah`` and
``mmdebstrap`` come from Debian's packages: :func:`missing_debian_packages` names the ones not installed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from webexplorer.sandbox.binaries import (
    KUBERNETES_VERSION,
    BuildError,
    GoCommands,
    Log,
    _build_kubernetes,
    _executable,
    _go,
    _run_go,
    build_go_commands,
    build_lock,
    cache_root,
    kubernetes_dir,
)

CONTAINERD_VERSION = "2.4.2"
HELM_VERSION = "4.3.2"
NODE_KUBERNETES_COMMANDS = ("kubelet", "kube-proxy", "kube-scheduler")

#: Debian packages a node needs, with a program each provides (checked on PATH or at that path).
DEBIAN_PACKAGES = {
    "runc": "/usr/sbin/runc",
    "containernetworking-plugins": "/usr/lib/cni/bridge",
    "iptables": "/usr/sbin/iptables",
    "buildah": "/usr/bin/buildah",
    "mmdebstrap": "/usr/bin/mmdebstrap",
    "conntrack": "/usr/sbin/conntrack",
}

CNI_BIN_DIR = Path("/usr/lib/cni")
RUNC = Path("/usr/sbin/runc")

_CONTAINERD = GoCommands(
    label=f"containerd v{CONTAINERD_VERSION}",
    module="github.com/containerd/containerd/v2",
    version=CONTAINERD_VERSION,
    packages=(
        "github.com/containerd/containerd/v2/cmd/containerd",
        "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2",
        "github.com/containerd/containerd/v2/cmd/ctr",
    ),
    hint="about 3 minutes on 2 cores",
    ldflags=f"-s -w -X github.com/containerd/containerd/v2/version.Version=v{CONTAINERD_VERSION}",
    # the btrfs, devmapper and zfs snapshotters need C headers and are never used here (overlayfs is)
    tags="no_btrfs no_devmapper no_zfs",
    cgo=False,
)

_HELM = GoCommands(
    label=f"helm v{HELM_VERSION}",
    module="helm.sh/helm/v4",
    version=HELM_VERSION,
    packages=("helm.sh/helm/v4/cmd/helm",),
    hint="about 2-3 minutes on 2 cores",
    ldflags=f"-s -w -X helm.sh/helm/v4/internal/version.version=v{HELM_VERSION}",
    cgo=False,
)

#: The sandbox container's process. PID 1 of a pod's sandbox gets no default signal handlers, so it must
#: handle SIGTERM itself, and it inherits every orphan of the pod, so it must reap them.
_PAUSE_GO = """package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			return
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
"""


@dataclass(frozen=True)
class NodeBinaries:
    """Paths of a node's programs, ready to execute."""

    containerd: Path
    containerd_shim: Path
    ctr: Path
    kubelet: Path
    kube_proxy: Path
    kube_scheduler: Path
    pause: Path

    @property
    def bin_dir(self) -> Path:
        """The directory containerd must find ``containerd-shim-runc-v2`` in (on its PATH)."""
        return self.containerd_shim.parent


def containerd_dir(root: Path | None = None) -> Path:
    """Cache directory of containerd :data:`CONTAINERD_VERSION` and the pause program."""
    return (root or cache_root()) / f"containerd-v{CONTAINERD_VERSION}"


def helm_dir(root: Path | None = None) -> Path:
    """Cache directory of helm :data:`HELM_VERSION`."""
    return (root or cache_root()) / f"helm-v{HELM_VERSION}"


def missing_debian_packages() -> list[str]:
    """The Debian packages of :data:`DEBIAN_PACKAGES` whose program is not installed."""
    return [name for name, program in DEBIAN_PACKAGES.items() if not _executable(Path(program))]


def install_debian_packages(log: Log) -> None:
    """``apt-get install`` whatever :func:`missing_debian_packages` names (we run as root here)."""
    missing = missing_debian_packages()
    if not missing:
        return
    log(f"installing Debian packages for the node: {', '.join(missing)}")
    apt = shutil.which("apt-get")
    if apt is None:
        raise BuildError(f"the node needs the Debian packages {', '.join(missing)} and there is no apt-get")
    for argv in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", *missing]):
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=False,
            env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise BuildError(f"`{' '.join(argv)}` failed: {' '.join(tail) or 'no output'}")


def _build_pause(target_dir: Path, log: Log) -> None:
    go = _go()
    with tempfile.TemporaryDirectory(prefix="webexplorer-pause-") as scratch_name:
        scratch = Path(scratch_name)
        (scratch / "go.mod").write_text("module webexplorer.local/pause\n\ngo 1.26.0\n")
        (scratch / "main.go").write_text(_PAUSE_GO)
        out = scratch / "pause"
        _run_go(
            [go, "build", "-ldflags", "-s -w", "-o", str(out), "."],
            cwd=scratch,
            log_file=scratch / "build.log",
            log=log,
            what="compiling the pause program",
            cgo="0",
        )
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(str(out), target_dir / "pause.tmp")
        (target_dir / "pause.tmp").replace(target_dir / "pause")


def ensure_node_binaries(log: Log = print, *, root: Path | None = None) -> NodeBinaries:
    """Return the node's programs, building whatever the cache lacks (see the module docstring)."""
    root = root or cache_root()
    install_debian_packages(log)
    k8s = kubernetes_dir(root)
    ctd = containerd_dir(root)
    if any(not _executable(k8s / name) for name in NODE_KUBERNETES_COMMANDS):
        with build_lock(root, log):  # the control plane's lock: the same scratch module
            missing = [name for name in NODE_KUBERNETES_COMMANDS if not _executable(k8s / name)]
            if missing:
                _build_kubernetes(root, missing, log)
    if any(not _executable(ctd / name) for name in (*_CONTAINERD.names, "pause")):
        with build_lock(root, log, "build-containerd"):
            if any(not _executable(ctd / name) for name in _CONTAINERD.names):
                build_go_commands(root, _CONTAINERD, ctd, log)
            if not _executable(ctd / "pause"):
                _build_pause(ctd, log)
    return NodeBinaries(
        containerd=ctd / "containerd",
        containerd_shim=ctd / "containerd-shim-runc-v2",
        ctr=ctd / "ctr",
        kubelet=k8s / "kubelet",
        kube_proxy=k8s / "kube-proxy",
        kube_scheduler=k8s / "kube-scheduler",
        pause=ctd / "pause",
    )


def ensure_helm(log: Log = print, *, root: Path | None = None) -> Path:
    """Return the ``helm`` binary, building it from its Go module the first time."""
    root = root or cache_root()
    helm = helm_dir(root) / "helm"
    if not _executable(helm):
        with build_lock(root, log, "build-helm"):
            if not _executable(helm):
                build_go_commands(root, _HELM, helm_dir(root), log)
    return helm


__all__ = [
    "CONTAINERD_VERSION",
    "HELM_VERSION",
    "KUBERNETES_VERSION",
    "NodeBinaries",
    "ensure_helm",
    "ensure_node_binaries",
]
