"""Auto-detection order — in-cluster, kubectl proxy, kubeconfig, snapshot — with a reason sentence, and
explicit modes. The proxy address is injected so the test does not need port 8001."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.fixtures.cluster import InClusterLayout, ServiceAccount
from tests.fixtures.kubeconfigs import kubeconfig_doc, write_yaml
from webexplorer.cluster import ConfigError, KubeconfigError, connect, detect, open_connection, whoami
from webexplorer.cluster.incluster import join_host_port, load_in_cluster
from webexplorer.ports import free_port
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.settings import Settings

SAFactory = Callable[..., ServiceAccount]
LayoutFactory = Callable[..., InClusterLayout]


def nothing_here() -> tuple[str, int]:
    return ("127.0.0.1", free_port())


def proxy_address(url: str) -> tuple[str, int]:
    parsed = httpx.URL(url)
    assert parsed.host and parsed.port
    return parsed.host, parsed.port


def admin_kubeconfig(control_plane: ControlPlane, path: Path) -> Path:
    doc = kubeconfig_doc(
        server=control_plane.url,
        user={"token": control_plane.admin_token},
        cluster={"certificate-authority": str(control_plane.ca_file)},
        context="kc",
    )
    return write_yaml(path, doc)


async def test_in_cluster_wins_over_proxy_and_kubeconfig(
    service_account: SAFactory,
    in_cluster_layout: LayoutFactory,
    kubectl_proxy: str,
    control_plane: ControlPlane,
    tmp_path: Path,
) -> None:
    account = service_account()
    layout = in_cluster_layout(account)
    env = {
        **layout.env,
        "KUBECONFIG": str(admin_kubeconfig(control_plane, tmp_path / "kc")),
        "HOME": str(tmp_path),
    }
    settings = Settings(serviceaccount_dir=layout.directory)
    detection = await detect(settings, env, proxy_address=proxy_address(kubectl_proxy))
    assert detection.mode == "in-cluster"
    assert detection.reason.startswith("Running in a pod: KUBERNETES_SERVICE_HOST/PORT are set")
    conn = await connect(detection, settings, env)
    assert conn is not None
    async with conn:
        assert conn.detection is detection and conn.label == "in-cluster"
        assert (await whoami(conn)).username == account.username  # type: ignore[union-attr]


async def test_env_without_a_token_is_not_in_cluster(kubectl_proxy: str, tmp_path: Path) -> None:
    env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOME": str(tmp_path)}
    settings = Settings(serviceaccount_dir=tmp_path / "no-sa")
    detection = await detect(settings, env, proxy_address=proxy_address(kubectl_proxy))
    assert detection.mode == "server" and detection.server == kubectl_proxy
    assert "automountServiceAccountToken may be false" in detection.reason


async def test_kubectl_proxy_comes_second(
    kubectl_proxy: str, control_plane: ControlPlane, tmp_path: Path
) -> None:
    env = {"HOME": str(tmp_path), "KUBECONFIG": str(admin_kubeconfig(control_plane, tmp_path / "kc"))}
    settings = Settings(serviceaccount_dir=tmp_path / "no-sa")
    conn = await open_connection(settings, env, proxy_address=proxy_address(kubectl_proxy))
    assert conn is not None
    async with conn:
        assert conn.mode == "server" and conn.label == "kubectl proxy"
        assert conn.detection is not None
        reason = conn.detection.reason
        assert reason.startswith(
            f"Using kubectl proxy: kubectl proxy answers on {kubectl_proxy} (Kubernetes v1."
        )
        assert (
            "not in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not both set" in reason
        )
        assert (await conn.fetch("/api")).status == 200


async def test_kubeconfig_comes_third(control_plane: ControlPlane, tmp_path: Path) -> None:
    admin_kubeconfig(control_plane, tmp_path / ".kube" / "config")
    settings = Settings(serviceaccount_dir=tmp_path / "no-sa")
    free = nothing_here()
    conn = await open_connection(settings, {"HOME": str(tmp_path)}, proxy_address=free)
    assert conn is not None
    async with conn:
        assert conn.mode == "kubeconfig" and conn.label == "kubeconfig: kc"
        assert conn.detection is not None
        assert conn.detection.reason.startswith(
            f"Using the kubeconfig {tmp_path}/.kube/config (from the default"
        )
        assert f"nothing answers on http://127.0.0.1:{free[1]}" in conn.detection.reason
        assert (await whoami(conn)).username == "admin"  # type: ignore[union-attr]


async def test_snapshot_is_the_last_resort(tmp_path: Path) -> None:
    settings = Settings(serviceaccount_dir=tmp_path / "no-sa")
    env = {"HOME": str(tmp_path), "KUBECONFIG": f"{tmp_path}/a:{tmp_path}/b"}
    detection = await detect(settings, env, proxy_address=nothing_here())
    assert detection.mode == "snapshot" and len(detection.ruled_out) == 3
    assert detection.reason.startswith("No live API server was found, so the recorded snapshot is served (")
    assert f"no kubeconfig at {tmp_path}/a, {tmp_path}/b ($KUBECONFIG)" in detection.reason
    assert await connect(detection, settings, env) is None


async def test_explicit_flags_and_modes(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    d = await detect(Settings(server="http://127.0.0.1:9"), env, proxy_address=nothing_here())
    assert (d.mode, d.server) == ("server", "http://127.0.0.1:9")
    d = await detect(Settings(context="x"), env, proxy_address=nothing_here())
    assert d.mode == "kubeconfig"
    d = await detect(Settings(mode="snapshot"), env)
    assert d.mode == "snapshot"
    with pytest.raises(ConfigError, match="--mode server needs the API server URL"):
        await detect(Settings(mode="server"), env)
    with pytest.raises(ConfigError, match="In-cluster mode needs KUBERNETES_SERVICE_HOST"):
        await open_connection(Settings(mode="in-cluster", serviceaccount_dir=tmp_path), env)
    # a broken kubeconfig is reported, not skipped in favour of the snapshot
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text("clusters: [")
    with pytest.raises(KubeconfigError, match="not valid YAML"):
        await open_connection(
            Settings(serviceaccount_dir=tmp_path / "no-sa"), env, proxy_address=nothing_here()
        )


def test_ipv6_service_host_is_bracketed(tmp_path: Path) -> None:
    assert join_host_port("::1", "6443") == "[::1]:6443"
    assert join_host_port("10.0.0.1", "443") == "10.0.0.1:443"
    assert join_host_port("[fd00::1]", "443") == "[fd00::1]:443"


async def test_in_cluster_over_ipv6(
    service_account: SAFactory, in_cluster_layout: LayoutFactory, control_plane: ControlPlane
) -> None:
    layout = in_cluster_layout(service_account())
    config = load_in_cluster(layout.directory, {**layout.env, "KUBERNETES_SERVICE_HOST": "::1"})
    assert config.server == f"https://[::1]:{control_plane.port}"
    # the sandbox listens on 127.0.0.1 only, so [::1] is refused — but the URL is well-formed and the
    # failure is the unreachable sentence, not a URL parsing error
    from webexplorer.cluster import Connection, UnreachableError

    async with Connection.from_in_cluster(config, request_timeout=2) as conn:
        with pytest.raises(UnreachableError, match=r"https://\[::1\]"):
            await conn.fetch("/version")


def test_in_cluster_missing_pieces(tmp_path: Path) -> None:
    env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "6443"}
    with pytest.raises(ConfigError, match=r"token .*/token could not be read \(No such file"):
        load_in_cluster(tmp_path, env)
    (tmp_path / "token").write_text("t")
    with pytest.raises(ConfigError, match=r"ca.crt could not be read"):
        load_in_cluster(tmp_path, env)
    (tmp_path / "ca.crt").write_text("not pem")
    with pytest.raises(ConfigError, match=r"not a valid PEM certificate"):
        load_in_cluster(tmp_path, env)
    with pytest.raises(ConfigError, match="not a port number"):
        load_in_cluster(tmp_path, {**env, "KUBERNETES_SERVICE_PORT": "https"})
