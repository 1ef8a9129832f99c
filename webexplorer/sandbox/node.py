"""A real node for the sandbox control plane: containerd, kubelet, kube-proxy and kube-scheduler.

With a :class:`SandboxNode` started, Pods run for real: the scheduler binds them to the node, the kubelet
pulls nothing (images are imported, :mod:`webexplorer.sandbox.images`) and starts them through containerd
and runc, mounts their projected service-account token and Downward API volumes and rotates them, runs
their probes; kube-proxy routes Services (``kubernetes`` to the API server included) with iptables; the
bridge CNI plugin gives each pod an address on :class:`~webexplorer.sandbox.hostnet.PodNetwork`.

This machine's quirks, each handled here and explained where it is:

- cgroups are v1 hierarchies: the kubelet runs with ``failCgroupV1: false`` and the ``cgroupfs`` driver;
- the sandbox withholds CAP_SYS_RESOURCE, so containerd must not raise a container's ``oom_score_adj``
  (``restrict_oom_score_adj``), or every container fails to start;
- the kubelet sets a few kernel tunables on start (``vm.overcommit_memory``, ``kernel.panic``...); they
  are put back as they were when the node stops, since the machine is shared.

The node runs as root (containerd and the kubelet need it). Only one runs at a time per machine (a file
lock), because the kubelet's cgroups (``/kubepods``) and the bridge are machine-wide.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from webexplorer.ports import LOOPBACK, free_ports, wait_until
from webexplorer.sandbox.binaries import cache_root
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.sandbox.hostnet import PodNetwork, remove_kube_chains
from webexplorer.sandbox.images import PAUSE_IMAGE, pause_archive
from webexplorer.sandbox.node_binaries import CNI_BIN_DIR, RUNC, NodeBinaries
from webexplorer.sandbox.process import ManagedProcess, wait_for

Log = Callable[[str], None]

NODE_NAME = "sandbox-node"
KUBELET_USER = f"system:node:{NODE_NAME}"
KUBE_PROXY_USER = "system:kube-proxy"  # bound to system:node-proxier by the bootstrap RBAC policy
SCHEDULER_USER = "system:kube-scheduler"  # bound to system:kube-scheduler likewise

#: The identities a node's components use, for :class:`ControlPlane`'s ``static_users``.
NODE_USERS: dict[str, list[str]] = {
    KUBELET_USER: ["system:nodes"],  # what the Node authorizer and NodeRestriction expect
    KUBE_PROXY_USER: [],
    SCHEDULER_USER: [],
}

#: Kernel tunables the kubelet sets on start (its "kernel defaults"); restored when the node stops.
_KUBELET_SYSCTLS = (
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)


class NodeError(Exception):
    """The node could not be started; the message ends with the failing component's log tail."""


def node_control_plane(network: PodNetwork, log: Log = print, **kwargs: Any) -> ControlPlane:
    """A :class:`ControlPlane` a node can join: kube-apiserver on the bridge address, the node's users.

    The API server reaches the kubelet (logs, exec, port-forward) at the node's InternalIP: the node's
    name does not resolve here.
    """
    return ControlPlane(
        log=log,
        bind_address=network.gateway,
        static_users=NODE_USERS,
        apiserver_flags=["--kubelet-preferred-address-types=InternalIP"],
        **kwargs,
    )


@contextlib.contextmanager
def _node_lock(log: Log) -> Iterator[None]:
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with (root / "node.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("another sandbox node runs on this machine; waiting for it to stop")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class SandboxNode:
    """One node joined to a started ``plane``; :meth:`start` returns once the Node is Ready.

    The pod network's bridge must exist before the control plane starts (kube-apiserver binds its
    address) and go after it stops: :func:`running_node` does all of it in that order.
    """

    def __init__(
        self,
        plane: ControlPlane,
        binaries: NodeBinaries,
        *,
        network: PodNetwork | None = None,
        log: Log = print,
        ready_timeout: float = 120.0,
        state_dir: Path | None = None,
    ) -> None:
        self.plane = plane
        self.binaries = binaries
        self.network = network or PodNetwork()
        self._log = log
        self.ready_timeout = ready_timeout
        self._requested_state_dir = state_dir
        self._state_dir: Path | None = None
        self._processes: list[ManagedProcess] = []
        self._lock: contextlib.ExitStack | None = None
        self._sysctls: dict[str, str] = {}
        self.startup_seconds: float | None = None
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ paths

    @property
    def state_dir(self) -> Path:
        """containerd's and the kubelet's state, configs and logs."""
        if self._state_dir is None:
            raise RuntimeError("the node is not started")
        return self._state_dir

    @property
    def log_dir(self) -> Path:
        """Logs of containerd, kubelet, kube-proxy and kube-scheduler."""
        return self.state_dir / "logs"

    @property
    def containerd_socket(self) -> Path:
        """containerd's gRPC socket (``ctr --address``)."""
        return self.state_dir / "containerd" / "containerd.sock"

    @property
    def name(self) -> str:
        """The Node object's name."""
        return NODE_NAME

    # ------------------------------------------------------------------ lifecycle

    def start(self, images: tuple[Path, ...] = ()) -> SandboxNode:
        """Start containerd (importing the pause image and ``images``: archives), kubelet, kube-proxy and
        kube-scheduler; wait for the Node to be Ready. Stops what it started on failure."""
        if self._state_dir is not None:
            raise RuntimeError("the node is already started")
        stack = contextlib.ExitStack()
        stack.enter_context(_node_lock(self._log))
        self._lock = stack
        self._state_dir = Path(
            tempfile.mkdtemp(prefix="webexplorer-node-")
            if self._requested_state_dir is None
            else self._requested_state_dir
        )
        try:
            self._start(images)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, images: tuple[Path, ...]) -> None:
        started = time.monotonic()
        self._sysctls = {name: _read_sysctl(name) for name in _KUBELET_SYSCTLS}
        (kubelet_port,) = free_ports(1, self.network.gateway)
        healthz, proxy_health, proxy_metrics, scheduler = free_ports(4)
        self._write_containerd_config()
        containerd = self._launch(
            "containerd",
            [str(self.binaries.containerd), "--config", str(self.state_dir / "containerd.toml")],
        )
        self._wait(containerd, self._containerd_up, "containerd", started)
        for archive in (self.pause_archive(), *images):
            self.import_image(archive)
        self.timings["images imported"] = time.monotonic() - started
        kubelet = self._launch("kubelet", self._kubelet_args(kubelet_port, healthz))
        self._launch("kube-proxy", self._kube_proxy_args(proxy_health, proxy_metrics))
        self._launch("kube-scheduler", self._scheduler_args(scheduler))
        with self.plane.client() as client:
            self._wait(kubelet, lambda: self._node_ready(client), "the Node to be Ready", started)
        self.startup_seconds = time.monotonic() - started
        self._log(
            f"node {NODE_NAME} Ready in {self.startup_seconds:.1f}s "
            f"({', '.join(f'{k} {v:.1f}s' for k, v in self.timings.items())}); logs in {self.log_dir}"
        )

    def stop(self) -> None:
        """Remove the pods, stop everything, undo the host changes, delete the state; idempotent."""
        state = self._state_dir
        if state is not None:
            with contextlib.suppress(Exception):
                self._drain()
        for process in reversed(self._processes):
            if process.name == "containerd" and process.running():
                self._kill_leftover_tasks()
            process.stop(timeout=15.0)
        self._processes.clear()
        if state is not None:
            with contextlib.suppress(Exception):
                self._cleanup_kube_proxy()
            with contextlib.suppress(Exception):
                remove_kube_chains()
            _unmount_under(state)
            for name, value in self._sysctls.items():
                with contextlib.suppress(OSError):
                    _write_sysctl(name, value)
            self._sysctls = {}
            shutil.rmtree(state, ignore_errors=True)
        self._state_dir = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def dead_components(self) -> list[str]:
        """Names of the node's components that have exited although the node was not stopped."""
        return [p.name for p in self._processes if not p.running()]

    def save_logs(self, destination: Path) -> Path:
        """Copy the node's component logs to ``destination`` (created); return it."""
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.log_dir, destination, dirs_exist_ok=True)
        return destination

    # ------------------------------------------------------------------ images

    def pause_archive(self) -> Path:
        """The pod sandbox image as an OCI archive, written by hand: one layer holding ``/pause``."""
        return pause_archive(self.binaries.pause, self.state_dir / "pause.tar")

    def ctr(self, *args: str, timeout: float = 300.0) -> str:
        """Run ``ctr`` in containerd's ``k8s.io`` namespace (where the CRI plugin keeps images)."""
        argv = [str(self.binaries.ctr), "--address", str(self.containerd_socket), "-n", "k8s.io", *args]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise NodeError(f"`ctr {' '.join(args)}` failed: {(result.stderr or result.stdout).strip()}")
        return result.stdout

    def import_image(self, archive: Path) -> None:
        """Import an image archive (docker-archive or OCI) into containerd, unpacked for the kubelet."""
        self.ctr("images", "import", str(archive))

    def image_names(self) -> list[str]:
        """The image references containerd knows in the ``k8s.io`` namespace."""
        return [line.strip() for line in self.ctr("images", "list", "--quiet").splitlines() if line.strip()]

    # ------------------------------------------------------------------ processes

    def _launch(self, name: str, argv: list[str]) -> ManagedProcess:
        env = {
            "PATH": f"{self.binaries.bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.state_dir),
        }
        process = ManagedProcess(name, argv, self.log_dir / f"{name}.log", env=env)
        process.start()
        self._processes.append(process)
        return process

    def _wait(self, process: ManagedProcess, condition: Callable[[], bool], what: str, since: float) -> None:
        remaining = max(1.0, self.ready_timeout - (time.monotonic() - since))
        wait_for(process, condition, what, timeout=remaining, interval=0.25, error=NodeError)
        self.timings[what] = time.monotonic() - since

    def _containerd_up(self) -> bool:
        try:
            self.ctr("version", timeout=5)
        except (NodeError, subprocess.TimeoutExpired):
            return False
        return True

    def _node_ready(self, client: httpx.Client) -> bool:
        try:
            response = client.get(f"/api/v1/nodes/{NODE_NAME}")
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        conditions = response.json().get("status", {}).get("conditions", [])
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    def _drain(self) -> None:
        """Cordon the node and delete its pods at once, then wait (bounded) until containerd runs no task:
        the kubelet stops each sandbox properly, which tears its network namespace and veth down."""
        with self.plane.client() as client:
            client.patch(
                f"/api/v1/nodes/{NODE_NAME}",
                json={"spec": {"unschedulable": True}},
                headers={"Content-Type": "application/merge-patch+json"},
            )
            pods = client.get("/api/v1/pods", params={"fieldSelector": f"spec.nodeName={NODE_NAME}"}).json()
            for pod in pods.get("items", []):
                meta = pod["metadata"]
                client.delete(
                    f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
                    params={"gracePeriodSeconds": "0"},
                )
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: not self._running_tasks(), timeout=30.0, interval=0.5, what="pods to stop")

    def _running_tasks(self) -> list[str]:
        try:
            lines = self.ctr("tasks", "list", timeout=10).splitlines()[1:]
        except (NodeError, subprocess.TimeoutExpired):
            return []
        return [line.split()[0] for line in lines if line.strip()]

    def _kill_leftover_tasks(self) -> None:
        """SIGKILL and delete what the kubelet did not stop, so no shim outlives containerd."""
        for task in self._running_tasks():
            with contextlib.suppress(NodeError, subprocess.TimeoutExpired):
                self.ctr("tasks", "kill", "--all", "--signal", "SIGKILL", task, timeout=10)
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: not self._running_tasks(), timeout=10.0, interval=0.25, what="tasks to die")
        with contextlib.suppress(NodeError, subprocess.TimeoutExpired):
            for line in self.ctr("containers", "list", "--quiet", timeout=10).splitlines():
                if line.strip():
                    with contextlib.suppress(NodeError, subprocess.TimeoutExpired):
                        self.ctr("tasks", "delete", "--force", line.strip(), timeout=10)

    def _cleanup_kube_proxy(self) -> None:
        """``kube-proxy --cleanup``: remove its iptables chains from the machine."""
        subprocess.run(
            [str(self.binaries.kube_proxy), "--cleanup"],
            capture_output=True,
            timeout=60,
            check=False,
        )

    # ------------------------------------------------------------------ configuration

    def _write_containerd_config(self) -> None:
        state = self.state_dir
        cni_dir = state / "cni" / "net.d"
        cni_dir.mkdir(parents=True, exist_ok=True)
        (cni_dir / "10-webexplorer.conflist").write_text(
            json.dumps(self.network.cni_config(state / "cni" / "ipam"), indent=2)
        )
        (state / "containerd").mkdir(parents=True, exist_ok=True)
        runtime = "plugins.'io.containerd.cri.v1.runtime'"
        (state / "containerd.toml").write_text(
            f"""version = 3
root = "{state}/containerd/root"
state = "{state}/containerd/state"

[grpc]
  address = "{self.containerd_socket}"

[ttrpc]
  address = "{self.containerd_socket}.ttrpc"

[plugins]
  [{runtime}]
    enable_selinux = false
    # CAP_SYS_RESOURCE is withheld here: raising a container's oom_score_adj fails every start
    restrict_oom_score_adj = true
    # the pods' network namespaces live in our state dir, not the machine's /var/run/netns
    netns_mounts_under_state_dir = true
    [{runtime}.containerd]
      default_runtime_name = "runc"
      [{runtime}.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [{runtime}.containerd.runtimes.runc.options]
          BinaryName = "{RUNC}"
          SystemdCgroup = false
    [{runtime}.cni]
      bin_dirs = ["{CNI_BIN_DIR}"]
      conf_dir = "{cni_dir}"
      max_conf_num = 1
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "{PAUSE_IMAGE}"
  [plugins.'io.containerd.grpc.v1.cri']
    disable_tcp_service = true
    stream_server_address = "{LOOPBACK}"
    stream_server_port = "0"
"""
        )

    def _kubelet_args(self, port: int, healthz_port: int) -> list[str]:
        state = self.state_dir
        plane = self.plane
        kubeconfig = plane.token_kubeconfig(plane.static_tokens[KUBELET_USER], state / "kubelet.kubeconfig")
        config = {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "failCgroupV1": False,  # this machine's cgroups are v1 hierarchies
            "cgroupDriver": "cgroupfs",
            "containerRuntimeEndpoint": f"unix://{self.containerd_socket}",
            "address": self.network.gateway,
            "port": port,
            "readOnlyPort": 0,
            "healthzBindAddress": LOOPBACK,
            "healthzPort": healthz_port,
            # the API server authenticates with the sandbox CA's admin certificate; nothing else can reach
            # the bridge address
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": False},
                "x509": {"clientCAFile": str(plane.ca_file)},
            },
            "authorization": {"mode": "AlwaysAllow"},
            "podLogsDir": str(state / "pod-logs"),
            "volumePluginDir": str(state / "volume-plugins"),
            "failSwapOn": False,
            # a shared dev machine's disk may be fuller than a node's; imported images must never be
            # collected (they cannot be pulled again)
            "evictionHard": {
                "memory.available": "100Mi",
                "nodefs.available": "1%",
                "imagefs.available": "1%",
            },
            "imageGCHighThresholdPercent": 100,
            "imageGCLowThresholdPercent": 99,
            # a label change reaches the Downward API volume at the next sync: keep that short
            "syncFrequency": "10s",
            "nodeStatusUpdateFrequency": "5s",
            "serializeImagePulls": False,
            "shutdownGracePeriod": "0s",
            "logging": {"format": "text", "verbosity": 1},
        }
        config_path = state / "kubelet.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        return [
            str(self.binaries.kubelet),
            f"--config={config_path}",
            f"--kubeconfig={kubeconfig}",
            f"--hostname-override={NODE_NAME}",
            f"--node-ip={self.network.gateway}",
            f"--root-dir={state / 'kubelet'}",
            f"--cert-dir={state / 'kubelet-pki'}",
        ]

    def _kube_proxy_args(self, healthz_port: int, metrics_port: int) -> list[str]:
        state = self.state_dir
        plane = self.plane
        kubeconfig = plane.token_kubeconfig(
            plane.static_tokens[KUBE_PROXY_USER], state / "kube-proxy.kubeconfig"
        )
        config = {
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "clientConnection": {"kubeconfig": str(kubeconfig)},
            "mode": "iptables",
            "hostnameOverride": NODE_NAME,
            "clusterCIDR": self.network.subnet,
            "healthzBindAddress": f"{LOOPBACK}:{healthz_port}",
            "metricsBindAddress": f"{LOOPBACK}:{metrics_port}",
            "nodePortAddresses": [f"{self.network.gateway}/32"],
            # leave the machine's conntrack and route_localnet settings alone
            "conntrack": {"maxPerCore": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"},
            "iptables": {"localhostNodePorts": False},
        }
        config_path = state / "kube-proxy.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        return [str(self.binaries.kube_proxy), f"--config={config_path}"]

    def _scheduler_args(self, port: int) -> list[str]:
        state = self.state_dir
        plane = self.plane
        token = plane.static_tokens[SCHEDULER_USER]
        kubeconfig = plane.token_kubeconfig(token, state / "scheduler.kubeconfig")
        return [
            str(self.binaries.kube_scheduler),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            f"--bind-address={LOOPBACK}",
            f"--secure-port={port}",
            f"--cert-dir={state / 'scheduler-certs'}",
            "--leader-elect=false",
        ]


def _read_sysctl(name: str) -> str:
    return Path("/proc/sys", name).read_text().strip()


def _write_sysctl(name: str, value: str) -> None:
    if _read_sysctl(name) != value:
        Path("/proc/sys", name).write_text(value + "\n")


def _unmount_under(directory: Path) -> None:
    """Lazily unmount every mount below ``directory`` (volumes, rootfs, netns), deepest first."""
    prefix = str(directory.resolve()) + "/"
    mounts: list[str] = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix):
                mounts.append(point)
    for point in sorted(set(mounts), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)


@contextlib.contextmanager
def running_node(
    node_binaries: NodeBinaries,
    images: tuple[Path, ...] = (),
    *,
    log: Log = print,
    network: PodNetwork | None = None,
    **plane_options: Any,
) -> Iterator[SandboxNode]:
    """The bridge, a control plane on its address, and a Ready node with ``images`` imported; all
    stopped and removed again on exit (also when starting fails). ``plane_options`` go to
    :class:`ControlPlane` (``binaries``, ``keep``, ``state_dir``...)."""
    network = network or PodNetwork()
    plane = node_control_plane(network, log=log, **plane_options)
    node = SandboxNode(plane, node_binaries, network=network, log=log)
    network.create()
    try:
        plane.start()
        try:
            node.start(images)
            yield node
        finally:
            node.stop()
            plane.stop()
    finally:
        network.delete()
