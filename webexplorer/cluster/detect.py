"""Choosing how to reach the API server, and saying why in a sentence for the home page.

With ``--mode auto`` the order is: flags the operator gave (``--server``, ``--kubeconfig``/``--context``,
``--snapshot``) → in-cluster (``KUBERNETES_SERVICE_HOST``/``PORT`` set *and* a token mounted) →
``kubectl proxy`` answering on 127.0.0.1:8001 (one quick ``GET /version``) → ``$KUBECONFIG`` or
``~/.kube/config`` → the snapshot. Each step that was passed over is remembered, so "why am I looking at
a snapshot?" has an answer on the page rather than in a debugger.

Detection only looks (files, the environment, one probe); :func:`webexplorer.cluster.connect.connect`
builds the connection it chose.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from webexplorer.cluster.client import make_client
from webexplorer.cluster.errors import ConfigError
from webexplorer.cluster.incluster import in_cluster_available
from webexplorer.cluster.kubeconfig import kubeconfig_paths
from webexplorer.settings import Settings

DetectedMode = Literal["in-cluster", "server", "kubeconfig", "snapshot"]
DEFAULT_PROXY_ADDRESS = ("127.0.0.1", 8001)
DEFAULT_PROBE_TIMEOUT = 0.5


@dataclass(frozen=True, slots=True)
class Detection:
    """Which mode was chosen and why."""

    mode: DetectedMode
    #: one sentence for the home page: the choice, then what was passed over
    reason: str
    #: the steps passed over, each a short phrase ("not in a pod: ...")
    ruled_out: tuple[str, ...] = ()
    #: server mode: the URL to use as is
    server: str | None = None
    #: kubeconfig mode: the files, whether all must exist, and where the list came from
    kubeconfig_paths: tuple[Path, ...] = ()
    kubeconfig_strict: bool = True
    kubeconfig_origin: str = ""
    #: server mode: the URL was found by probing for kubectl proxy (labels the connection so)
    probed: bool = False


async def probe_kubectl_proxy(
    address: tuple[str, int] = DEFAULT_PROXY_ADDRESS, wait: float = DEFAULT_PROBE_TIMEOUT
) -> tuple[str | None, str]:
    """``(url, note)``: the URL if a kubectl proxy (or any unauthenticated API server) answers ``GET
    /version`` there, else None and a phrase saying what was found."""
    host, port = address
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    async with make_client(verify=False, auth=None, timeout=wait) as client:
        try:
            response = await client.get(url + "/version")
        except httpx.TimeoutException:
            return None, f"nothing answered on {url} within {wait:g} s"
        except (httpx.HTTPError, OSError):
            return None, f"nothing answers on {url} (no kubectl proxy)"
    if response.status_code == 200:
        try:
            version = response.json()
        except ValueError:
            version = None
        if isinstance(version, dict) and "gitVersion" in version:
            return url, f"kubectl proxy answers on {url} (Kubernetes {version['gitVersion']})"
    return (
        None,
        f"something answers on {url} but not like kubectl proxy (HTTP {response.status_code} to /version)",
    )


def _kubeconfig_detection(
    settings: Settings, env: Mapping[str, str], reason: str, ruled_out: list[str]
) -> Detection:
    paths, strict, origin = kubeconfig_paths(settings.kubeconfig, env)
    return Detection(
        mode="kubeconfig",
        reason=reason,
        ruled_out=tuple(ruled_out),
        kubeconfig_paths=tuple(paths),
        kubeconfig_strict=strict,
        kubeconfig_origin=origin,
    )


def _sentence(chosen: str, ruled_out: list[str]) -> str:
    if not ruled_out:
        return chosen + "."
    return f"{chosen} ({'; '.join(ruled_out)})."


async def detect(
    settings: Settings,
    env: Mapping[str, str] | None = None,
    *,
    proxy_address: tuple[str, int] = DEFAULT_PROXY_ADDRESS,
    probe_timeout: float = DEFAULT_PROBE_TIMEOUT,
) -> Detection:
    """Decide the mode for ``settings`` (``env`` defaults to ``os.environ``); never raises for auto."""
    env = os.environ if env is None else env
    mode = settings.mode
    if mode == "snapshot":
        return Detection("snapshot", "--mode snapshot was chosen, so the recorded snapshot is served.")
    if mode == "in-cluster":
        return Detection("in-cluster", "--mode in-cluster was chosen: using the pod's service account.")
    if mode == "server":
        if not settings.server:
            raise ConfigError(
                "--mode server needs the API server URL: add --server URL (for example "
                "--server http://127.0.0.1:8001 with kubectl proxy)."
            )
        return Detection(
            "server", f"--mode server was chosen: using {settings.server} as is.", server=settings.server
        )
    if mode == "kubeconfig":
        paths, _, origin = kubeconfig_paths(settings.kubeconfig, env)
        where = ", ".join(str(p) for p in paths)
        return _kubeconfig_detection(
            settings, env, f"--mode kubeconfig was chosen: reading {where} ({origin}).", []
        )

    # auto: the operator's explicit flags first
    if settings.server:
        return Detection(
            "server", f"--server {settings.server} was given, so it is used as is.", server=settings.server
        )
    if settings.kubeconfig or settings.context:
        flag = "--kubeconfig" if settings.kubeconfig else "--context"
        paths, _, _ = kubeconfig_paths(settings.kubeconfig, env)
        where = ", ".join(str(p) for p in paths)
        return _kubeconfig_detection(
            settings, env, f"{flag} was given, so the kubeconfig {where} is used.", []
        )
    if settings.snapshot is not None:
        return Detection("snapshot", f"--snapshot {settings.snapshot} was given, so that snapshot is served.")

    ruled_out: list[str] = []
    available, why = in_cluster_available(settings.serviceaccount_dir, env)
    if available:
        return Detection("in-cluster", f"Running in a pod: {why}.")
    ruled_out.append(f"not in-cluster: {why}")

    url, note = await probe_kubectl_proxy(proxy_address, probe_timeout)
    if url is not None:
        return Detection(
            "server",
            _sentence(f"Using kubectl proxy: {note}", ruled_out),
            ruled_out=tuple(ruled_out),
            server=url,
            probed=True,
        )
    ruled_out.append(note)

    paths, _, origin = kubeconfig_paths(None, env)
    existing = [p for p in paths if p.exists()]
    if existing:
        where = ", ".join(str(p) for p in existing)
        return _kubeconfig_detection(
            settings, env, _sentence(f"Using the kubeconfig {where} (from {origin})", ruled_out), ruled_out
        )
    ruled_out.append(f"no kubeconfig at {', '.join(str(p) for p in paths)} ({origin})")
    return Detection(
        "snapshot",
        _sentence("No live API server was found, so the recorded snapshot is served", ruled_out),
        ruled_out=tuple(ruled_out),
    )
