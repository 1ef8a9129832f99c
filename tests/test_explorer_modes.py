"""The whole explorer, start-up to home page, in every way people run it — against the real control plane.

Each test builds the real app with its lifespan (detection, connection, catalog) in-process and reads the
home page, the way a visitor's first request would.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.fixtures.cluster import InClusterLayout, ServiceAccount
from webexplorer.app import create_app
from webexplorer.ports import free_port
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.settings import Settings


@asynccontextmanager
async def explorer(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            yield client


async def test_kubeconfig_mode_shows_cluster_identity_and_groups(control_plane: ControlPlane) -> None:
    async with explorer(Settings(kubeconfig=str(control_plane.kubeconfig))) as c:
        home = (await c.get("/")).text
        ready = await c.get("/readyz")
    assert control_plane.url in home
    assert "v1.37.2" in home
    assert 'id="identity"' in home and "system:masters" in home
    assert 'href="/g/batch"' in home
    assert "Offline snapshot" not in home
    assert ready.status_code == 200


async def test_in_cluster_mode_acts_as_the_service_account(
    control_plane: ControlPlane,
    service_account: Callable[..., ServiceAccount],
    in_cluster_layout: Callable[..., InClusterLayout],
) -> None:
    sa = service_account(cluster_role="view")
    layout = in_cluster_layout(sa, set_env=True)
    async with explorer(Settings(serviceaccount_dir=layout.directory)) as c:
        home = (await c.get("/")).text
    assert "in-cluster" in home.lower()
    assert sa.username in home
    assert f">{sa.namespace}<" in home  # the pod's namespace is the default namespace


async def test_kubectl_proxy_mode(kubectl_proxy: str) -> None:
    async with explorer(Settings(server=kubectl_proxy)) as c:
        home = (await c.get("/")).text
    assert kubectl_proxy in home
    assert 'href="/g/apps"' in home
    assert ">default<" in home  # the default namespace, outside a pod


async def test_server_mode_in_a_pod_defaults_to_the_pods_namespace(
    kubectl_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind an ambassador sidecar (k8s/overlays/ambassador) the pod's namespace is the default one, as
    in-cluster; the real node showed "default" there before (tests/test_node_ambassador.py)."""
    monkeypatch.setenv("POD_NAMESPACE", "team-a")
    async with explorer(Settings(server=kubectl_proxy)) as c:
        home = (await c.get("/")).text
    assert ">team-a<" in home


async def test_broken_kubeconfig_says_so_and_serves_the_snapshot(tmp_path: Path) -> None:
    bad = tmp_path / "config"
    bad.write_text("apiVersion: v1\nkind: Config\ncurrent-context: nowhere\ncontexts: []\n")
    async with explorer(Settings(kubeconfig=str(bad))) as c:
        r = await c.get("/")
    assert r.status_code == 200
    assert 'id="connection-problem"' in r.text and "nowhere" in r.text
    assert "Offline snapshot" in r.text
    assert "Traceback" not in r.text


async def test_unreachable_server_is_one_sentence_and_not_ready() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with explorer(Settings(server=url, request_timeout=2)) as c:
        r = await c.get("/")
        ready = await c.get("/readyz")
    assert r.status_code == 200
    assert 'id="catalog-problem"' in r.text
    assert url.split("//")[1] in r.text
    assert ready.status_code == 503


async def test_snapshot_mode_is_labelled_and_read_only() -> None:
    async with explorer(Settings(mode="snapshot")) as c:
        home = (await c.get("/")).text
    assert "Offline snapshot" in home and "v1.37.2" in home


def test_snapshot_command_records_a_live_server_that_the_explorer_then_serves(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    out = tmp_path / "recorded.jsonl.xz"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "webexplorer",
            "snapshot",
            "--out",
            str(out),
            "--kubeconfig",
            str(control_plane.kubeconfig),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "recorded" in result.stderr and out.exists()

    async def read_home() -> str:
        async with explorer(Settings(snapshot=out)) as c:
            return (await c.get("/")).text

    import asyncio

    home = asyncio.run(read_home())
    assert "Offline snapshot" in home and 'href="/g/batch"' in home


def test_snapshot_command_without_a_server_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "webexplorer",
            "snapshot",
            "--out",
            str(tmp_path / "x"),
            "--server",
            f"http://127.0.0.1:{free_port()}",
            "--request-timeout",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "webexplorer snapshot:" in result.stderr


@pytest.mark.parametrize("flag", ["--help"])
def test_sandbox_help(flag: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "webexplorer", "sandbox", flag], capture_output=True, text=True, check=True
    ).stdout
    assert "--keep" in out and "--no-explorer" in out
