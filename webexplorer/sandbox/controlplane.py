"""A real, single-node Kubernetes control plane for tests and local exploring.

:class:`ControlPlane` runs etcd, kube-apiserver and kube-controller-manager as child processes on free
loopback ports, with the security a real cluster has: TLS verified against a test CA, bearer-token and
client-certificate authentication, RBAC, bound service-account tokens (TokenRequest) and an audit log.
There are no nodes, no scheduler and no kubelet: the explorer only talks to the API, and the
controller-manager supplies what the API alone lacks (default ServiceAccounts, ClusterRole aggregation,
ReplicaSets for Deployments, garbage collection).

``start()`` returns only once the cluster is *usable*, not merely "ready": the ``kubernetes`` Service
exists, the ``default`` ServiceAccount of ``default`` exists and the aggregated ``view`` ClusterRole has
rules, so tests never race the controllers.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import shutil
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from webexplorer.ports import LOOPBACK, free_ports, wait_until
from webexplorer.sandbox.binaries import NO_CONTROLLER_MANAGER_CONSEQUENCES, Binaries, ensure_binaries
from webexplorer.sandbox.pki import DEFAULT_SERVING_HOSTS, SandboxPKI, write_pki
from webexplorer.sandbox.process import ManagedProcess, wait_for

Log = Callable[[str], None]

SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
ADMIN_USER = "admin"

#: Audit every request at Metadata level, one event per request (RequestReceived is omitted), so a test
#: can count the requests that reached the server by counting ``ResponseComplete`` events.
AUDIT_POLICY: dict[str, Any] = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [{"level": "Metadata"}],
}


class ControlPlaneError(Exception):
    """The control plane could not be started; the message ends with the failing component's log tail."""


@dataclass(frozen=True)
class _Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int


def _duration(seconds: float) -> str:
    return f"{seconds:.1f}s"


class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager, started with :meth:`start` (or ``with``)."""

    def __init__(
        self,
        binaries: Binaries | None = None,
        *,
        state_dir: Path | None = None,
        keep: bool = False,
        port: int | None = None,
        log: Log = print,
        ready_timeout: float = 90.0,
        apiserver_flags: Sequence[str] = (),
        bind_address: str = LOOPBACK,
        static_users: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Prepare, without touching disk or starting anything.

        ``binaries`` defaults to :func:`ensure_binaries` (building on first use). ``state_dir`` must be
        absent or empty; by default a temp dir is used. ``keep`` leaves the state dir (etcd data, PKI,
        logs) in place after :meth:`stop`. ``port`` fixes the API server port (default: a free one).
        ``apiserver_flags`` are added to (or, for a ``--name=`` already set, replace) kube-apiserver's
        flags: an older release's server needs a few of its own (:func:`apiserver_flags_for`), a node
        others.

        ``bind_address`` is where kube-apiserver listens and what it advertises: pods cannot reach a
        loopback address, so a sandbox node (:mod:`webexplorer.sandbox.node`) gives its bridge's address;
        then the lease endpoint reconciler points the ``kubernetes`` Service at it. ``static_users`` maps
        user names to groups: each gets a bearer token in the static token file
        (:attr:`static_tokens`), which is how the kubelet and kube-proxy authenticate.
        """
        self._apiserver_flags = tuple(apiserver_flags)
        self._binaries = binaries
        self._requested_state_dir = state_dir
        self.keep = keep
        self._requested_port = port
        self._log = log
        self.ready_timeout = ready_timeout
        self._state_dir: Path | None = None
        self._pki: SandboxPKI | None = None
        self._ports: _Ports | None = None
        self._processes: list[ManagedProcess] = []
        self.admin_token = secrets.token_urlsafe(32)
        self.bind_address = bind_address
        #: Bearer token of each of ``static_users``, by user name.
        self.static_tokens = {user: secrets.token_urlsafe(32) for user in static_users or {}}
        self._static_groups = {user: list(groups) for user, groups in (static_users or {}).items()}
        self.version: str | None = None
        #: Seconds from launching etcd until :meth:`start` returned.
        self.startup_seconds: float | None = None
        #: Seconds each readiness milestone took, measured from launching etcd.
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ paths and addresses

    def _need_started(self) -> Path:
        if self._state_dir is None:
            raise RuntimeError("the control plane is not started")
        return self._state_dir

    @property
    def state_dir(self) -> Path:
        """Directory holding etcd data, PKI, kubeconfigs and logs."""
        return self._need_started()

    @property
    def pki(self) -> SandboxPKI:
        """All certificate and key paths."""
        self._need_started()
        assert self._pki is not None
        return self._pki

    @property
    def port(self) -> int:
        """The API server's HTTPS port on 127.0.0.1."""
        self._need_started()
        assert self._ports is not None
        return self._ports.apiserver

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT`` (the bind address instead of 127.0.0.1 when one was given)."""
        host = f"[{self.bind_address}]" if ":" in self.bind_address else self.bind_address
        return f"https://{host}:{self.port}"

    @property
    def ca_file(self) -> Path:
        """The CA certificate that signed the API server's certificate (the in-cluster ``ca.crt``)."""
        return self.pki.ca_cert

    @property
    def admin_cert_file(self) -> Path:
        """Client certificate of ``admin`` (group ``system:masters``)."""
        return self.pki.admin_cert

    @property
    def admin_key_file(self) -> Path:
        """Private key of :attr:`admin_cert_file`."""
        return self.pki.admin_key

    @property
    def kubeconfig(self) -> Path:
        """Admin kubeconfig: context ``sandbox`` (token, current) and ``sandbox-cert`` (client cert)."""
        return self.state_dir / "admin.kubeconfig"

    @property
    def log_dir(self) -> Path:
        """Process logs (``etcd.log``, ``kube-apiserver.log``, ...) and ``audit.log``."""
        return self.state_dir / "logs"

    @property
    def audit_log(self) -> Path:
        """JSON-lines audit log, level Metadata, one ``ResponseComplete`` event per finished request."""
        return self.log_dir / "audit.log"

    @property
    def kubectl(self) -> Path:
        """The kubectl binary of the same build."""
        return self.binaries.kubectl

    @property
    def binaries(self) -> Binaries:
        """The binaries in use (resolved by :meth:`start` when not given)."""
        if self._binaries is None:
            raise RuntimeError("the control plane is not started")
        return self._binaries

    @property
    def has_controller_manager(self) -> bool:
        """Whether kube-controller-manager runs (it may be missing with envtest's binaries)."""
        return self._binaries is not None and self._binaries.kube_controller_manager is not None

    @property
    def etcd_url(self) -> str:
        """etcd's client URL (plain HTTP on loopback; only the API server talks to it)."""
        self._need_started()
        assert self._ports is not None
        return f"http://{LOOPBACK}:{self._ports.etcd_client}"

    # ------------------------------------------------------------------ clients

    def ssl_context(self, *, client_cert: bool = False) -> ssl.SSLContext:
        """A context trusting only the sandbox CA; with ``client_cert`` it presents the admin certificate.

        httpx 0.28 deprecates ``verify=<path>``, so clients are given a context instead.
        """
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if client_cert:
            context.load_cert_chain(str(self.admin_cert_file), str(self.admin_key_file))
        return context

    def client(self, token: str | None = None, *, timeout: float = 10.0) -> httpx.Client:
        """A sync httpx client for the API server, with ``token`` (default: the admin token)."""
        return httpx.Client(
            base_url=self.url,
            verify=self.ssl_context(),
            headers={"Authorization": f"Bearer {token or self.admin_token}"},
            timeout=timeout,
        )

    def audit_events(self) -> list[dict[str, Any]]:
        """Parsed audit events so far (the log is appended to while the server runs)."""
        try:
            text = self.audit_log.read_text()
        except FileNotFoundError:
            return []
        events: list[dict[str, Any]] = []
        for line in text.splitlines():
            if line.strip():
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue  # a line being written right now
        return events

    def dead_components(self) -> list[str]:
        """Names of components that have exited although the control plane was not stopped."""
        return [p.name for p in self._processes if not p.running()]

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory of each running component, by name."""
        return {p.name: rss for p in self._processes if (rss := p.rss_bytes()) is not None}

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> ControlPlane:
        """Start everything and wait until the cluster is usable; stops what it started on failure."""
        if self._state_dir is not None:
            raise RuntimeError("the control plane is already started")
        if self._binaries is None:
            self._binaries = ensure_binaries(self._log)
        self._state_dir = self._make_state_dir()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _make_state_dir(self) -> Path:
        requested = self._requested_state_dir
        if requested is None:
            return Path(tempfile.mkdtemp(prefix="webexplorer-sandbox-"))
        requested = requested.resolve()
        if requested.exists() and any(requested.iterdir()):
            raise ControlPlaneError(f"state dir {requested} is not empty; give an empty or new directory")
        requested.mkdir(parents=True, exist_ok=True)
        return requested

    def _start(self) -> None:
        state = self.state_dir
        binaries = self.binaries
        hosts = DEFAULT_SERVING_HOSTS
        if self.bind_address not in hosts:
            hosts = (*hosts, self.bind_address)
        self._pki = write_pki(state / "pki", hosts)
        etcd_client, etcd_peer, apiserver, kcm = free_ports(4)
        self._ports = _Ports(etcd_client, etcd_peer, self._requested_port or apiserver, kcm)
        self._write_config_files()
        started = time.monotonic()

        etcd = self._launch("etcd", self._etcd_args(binaries.etcd))
        self._wait(etcd, self._etcd_healthy, "etcd /health", started)
        apiserver_args = _with_flags(self._apiserver_args(binaries.kube_apiserver), self._apiserver_flags)
        apiserver_process = self._launch("kube-apiserver", apiserver_args)
        self._wait(apiserver_process, self._apiserver_ready, "kube-apiserver /readyz", started)
        with self.client() as client:
            self._wait(
                apiserver_process,
                lambda: _ok(client, "/api/v1/namespaces/default/services/kubernetes"),
                "the 'kubernetes' Service",
                started,
            )
            self.version = str(client.get("/version").json()["gitVersion"])
            if binaries.kube_controller_manager is not None:
                kcm_process = self._launch(
                    "kube-controller-manager", self._controller_manager_args(binaries.kube_controller_manager)
                )
                self._wait(
                    kcm_process, self._controller_manager_healthy, "kube-controller-manager /healthz", started
                )
                self._wait(
                    kcm_process,
                    lambda: _ok(client, "/api/v1/namespaces/default/serviceaccounts/default"),
                    "the 'default' ServiceAccount",
                    started,
                )
                self._wait(
                    kcm_process, lambda: _view_aggregated(client), "rules in the 'view' ClusterRole", started
                )
            else:
                self._log(NO_CONTROLLER_MANAGER_CONSEQUENCES)
        self.startup_seconds = time.monotonic() - started
        memory = ", ".join(f"{name} {rss / 2**20:.0f} MiB" for name, rss in self.rss_bytes().items())
        self._log(
            f"control plane {self.version} ready at {self.url} in {_duration(self.startup_seconds)} "
            f"({', '.join(f'{k} {_duration(v)}' for k, v in self.timings.items())}; RSS {memory})"
        )

    def _launch(self, name: str, argv: list[str]) -> ManagedProcess:
        process = ManagedProcess(name, argv, self.log_dir / f"{name}.log")
        process.start()
        self._processes.append(process)
        return process

    def _wait(self, process: ManagedProcess, condition: Callable[[], bool], what: str, since: float) -> None:
        remaining = max(1.0, self.ready_timeout - (time.monotonic() - since))
        wait_for(process, condition, what, timeout=remaining, interval=0.1, error=ControlPlaneError)
        self.timings[what] = time.monotonic() - since

    def stop(self) -> None:
        """Stop the components in dependency order, then delete the state dir unless ``keep``."""
        for process in reversed(self._processes):
            process.stop()
        self._processes.clear()
        state = self._state_dir
        self._state_dir = None
        if state is not None:
            if self.keep:
                self._log(f"kept the control plane's state in {state}")
            else:
                shutil.rmtree(state, ignore_errors=True)

    # ------------------------------------------------------------------ faults

    def _component(self, name: str) -> ManagedProcess:
        for process in self._processes:
            if process.name == name:
                return process
        raise RuntimeError(f"{name} is not part of the started control plane")

    def stop_apiserver(self, *, kill: bool = True) -> None:
        """Take kube-apiserver down while etcd and the controller-manager keep running: an API server
        outage as its clients see it. ``kill`` (the default) is SIGKILL, a crash: open connections are
        reset, nothing is drained; otherwise SIGTERM, a graceful shutdown."""
        process = self._component("kube-apiserver")
        if kill:
            process.kill()
        else:
            process.stop()

    def start_apiserver(self) -> float:
        """Start kube-apiserver again after :meth:`stop_apiserver`, with the same flags, port, certificates
        and tokens (clients need no new configuration); return the seconds until ``/readyz`` is 200."""
        process = self._component("kube-apiserver")
        if process.running():
            raise RuntimeError("kube-apiserver is already running")
        started = time.monotonic()
        process.start()
        try:
            wait_until(
                self._apiserver_ready,
                timeout=self.ready_timeout,
                what="kube-apiserver /readyz",
                alive=process.exit_problem,
            )
        except (TimeoutError, RuntimeError) as exc:
            raise ControlPlaneError(
                f"{exc} after a restart; last lines of {process.log_path}:\n{process.tail()}"
            ) from None
        return time.monotonic() - started

    def save_logs(self, destination: Path) -> Path:
        """Copy the process logs and the audit log to ``destination`` (created); return it."""
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.log_dir, destination, dirs_exist_ok=True)
        return destination

    # ------------------------------------------------------------------ readiness probes

    def _etcd_healthy(self) -> bool:
        try:
            response = httpx.get(f"{self.etcd_url}/health", timeout=1.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.json().get("health") == "true"

    def _apiserver_ready(self) -> bool:
        try:
            with self.client(timeout=2.0) as client:
                return client.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def _controller_manager_healthy(self) -> bool:
        assert self._ports is not None
        try:
            response = httpx.get(
                f"https://{LOOPBACK}:{self._ports.controller_manager}/healthz",
                verify=self.ssl_context(),
                timeout=1.0,
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    # ------------------------------------------------------------------ configuration

    def _write_config_files(self) -> None:
        state = self.state_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (state / "audit-policy.yaml").write_text(yaml.safe_dump(AUDIT_POLICY, sort_keys=False))
        # token,user,uid,"group1,group2" — the static token file format.
        tokens = state / "tokens.csv"
        lines = [f'{self.admin_token},{ADMIN_USER},{ADMIN_USER},"system:masters"']
        for user, token in self.static_tokens.items():
            lines.append(f'{token},{user},{user},"{",".join(self._static_groups[user])}"')
        tokens.write_text("".join(line + "\n" for line in lines))
        tokens.chmod(0o600)
        self.kubeconfig.write_text(yaml.safe_dump(self._admin_kubeconfig(), sort_keys=False))
        self.kubeconfig.chmod(0o600)
        (state / "controller-manager.kubeconfig").write_text(
            yaml.safe_dump(self._controller_manager_kubeconfig(), sort_keys=False)
        )

    def _cluster_entry(self) -> dict[str, Any]:
        return {
            "name": "sandbox",
            "cluster": {
                "server": self.url,
                "certificate-authority-data": base64.b64encode(self.ca_file.read_bytes()).decode(),
            },
        }

    def _admin_kubeconfig(self) -> dict[str, Any]:
        pki = self.pki
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [self._cluster_entry()],
            "users": [
                {"name": "admin", "user": {"token": self.admin_token}},
                {
                    "name": "admin-cert",
                    "user": {
                        "client-certificate-data": base64.b64encode(pki.admin_cert.read_bytes()).decode(),
                        "client-key-data": base64.b64encode(pki.admin_key.read_bytes()).decode(),
                    },
                },
            ],
            "contexts": [
                {
                    "name": "sandbox",
                    "context": {"cluster": "sandbox", "user": "admin", "namespace": "default"},
                },
                {"name": "sandbox-cert", "context": {"cluster": "sandbox", "user": "admin-cert"}},
            ],
            "current-context": "sandbox",
        }

    def token_kubeconfig(self, token: str, path: Path) -> Path:
        """Write a kubeconfig for ``token`` at ``path`` (mode 0600), e.g. one of :attr:`static_tokens`."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [self._cluster_entry()],
            "users": [{"name": "user", "user": {"token": token}}],
            "contexts": [{"name": "sandbox", "context": {"cluster": "sandbox", "user": "user"}}],
            "current-context": "sandbox",
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)
        return path

    def _controller_manager_kubeconfig(self) -> dict[str, Any]:
        pki = self.pki
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [self._cluster_entry()],
            "users": [
                {
                    "name": "kcm",
                    "user": {
                        "client-certificate": str(pki.controller_manager_cert),
                        "client-key": str(pki.controller_manager_key),
                    },
                }
            ],
            "contexts": [{"name": "kcm", "context": {"cluster": "sandbox", "user": "kcm"}}],
            "current-context": "kcm",
        }

    def _etcd_args(self, binary: Path) -> list[str]:
        assert self._ports is not None
        client = f"http://{LOOPBACK}:{self._ports.etcd_client}"
        peer = f"http://{LOOPBACK}:{self._ports.etcd_peer}"
        return [
            str(binary),
            "--name=sandbox",
            f"--data-dir={self.state_dir / 'etcd'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=sandbox={peer}",
            "--initial-cluster-state=new",
            # Throwaway data: skipping fsync makes every write (and so every test) much faster.
            "--unsafe-no-fsync",
            "--log-level=warn",
        ]

    def _apiserver_args(self, binary: Path) -> list[str]:
        pki = self.pki
        state = self.state_dir
        # The lease reconciler refuses a loopback advertise address; the `kubernetes` Service is then still
        # created, just without endpoints, which nothing needs when no pod runs (no traffic goes through it).
        loopback = ipaddress.ip_address(self.bind_address).is_loopback
        return [
            str(binary),
            f"--etcd-servers={self.etcd_url}",
            f"--bind-address={self.bind_address}",
            f"--advertise-address={self.bind_address}",
            f"--endpoint-reconciler-type={'none' if loopback else 'lease'}",
            f"--secure-port={self.port}",
            f"--cert-dir={state / 'apiserver-certs'}",
            f"--tls-cert-file={pki.serving_cert}",
            f"--tls-private-key-file={pki.serving_key}",
            f"--client-ca-file={pki.ca_cert}",
            f"--token-auth-file={state / 'tokens.csv'}",
            "--authorization-mode=Node,RBAC",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            f"--service-account-key-file={pki.service_account_pub}",
            f"--service-account-signing-key-file={pki.service_account_key}",
            f"--api-audiences={SERVICE_ACCOUNT_ISSUER}",
            f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
            f"--audit-policy-file={state / 'audit-policy.yaml'}",
            f"--audit-log-path={self.audit_log}",
            "--audit-log-format=json",
            f"--requestheader-client-ca-file={pki.front_proxy_ca_cert}",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={pki.front_proxy_client_cert}",
            f"--proxy-client-key-file={pki.front_proxy_client_key}",
            "--allow-privileged=true",
            "--profiling=false",
            *self._kubelet_client_args(loopback),
        ]

    def _kubelet_client_args(self, loopback: bool) -> list[str]:
        """How kube-apiserver authenticates to a node's kubelet (logs, exec, port-forward): with the
        admin client certificate, which a sandbox kubelet checks against the sandbox CA. Only when a node
        can join (a non-loopback address): otherwise there is no kubelet to talk to."""
        if loopback:
            return []
        return [
            f"--kubelet-client-certificate={self.pki.admin_cert}",
            f"--kubelet-client-key={self.pki.admin_key}",
        ]

    def _controller_manager_args(self, binary: Path) -> list[str]:
        assert self._ports is not None
        pki = self.pki
        kubeconfig = self.state_dir / "controller-manager.kubeconfig"
        return [
            str(binary),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            f"--bind-address={LOOPBACK}",
            f"--secure-port={self._ports.controller_manager}",
            f"--tls-cert-file={pki.serving_cert}",
            f"--tls-private-key-file={pki.serving_key}",
            # All default controllers: measured, none of the node/volume ones logs errors without nodes, and
            # cloud ones are not part of kube-controller-manager any more.
            "--controllers=*",
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={pki.service_account_key}",
            f"--root-ca-file={pki.ca_cert}",
            "--leader-elect=false",
            "--cluster-name=sandbox",
        ]


def _ok(client: httpx.Client, path: str) -> bool:
    try:
        return client.get(path).status_code == 200
    except httpx.HTTPError:
        return False


def _view_aggregated(client: httpx.Client) -> bool:
    """Whether the clusterrole-aggregation controller has filled the ``view`` ClusterRole."""
    try:
        response = client.get("/apis/rbac.authorization.k8s.io/v1/clusterroles/view")
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and bool(response.json().get("rules"))


def _with_flags(argv: list[str], extra: Sequence[str]) -> list[str]:
    """``argv`` with each of ``extra`` added, replacing a flag of the same name."""
    names = {flag.split("=", 1)[0] for flag in extra}
    return [arg for arg in argv if arg.split("=", 1)[0] not in names] + list(extra)


def apiserver_flags_for(version: str) -> list[str]:
    """The kube-apiserver flags a release other than the pinned one needs on top of ours (empty for
    the pinned version)."""
    return []
