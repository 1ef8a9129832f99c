"""Building the connection a :class:`~webexplorer.cluster.detect.Detection` chose.

:func:`connect` may raise a :class:`~webexplorer.cluster.errors.ConfigError`: a malformed kubeconfig is
reported, not silently skipped in favour of a snapshot the operator did not ask for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from webexplorer.cluster.auth import DEFAULT_TOKEN_REFRESH
from webexplorer.cluster.connection import Connection
from webexplorer.cluster.detect import DEFAULT_PROXY_ADDRESS, Detection, detect
from webexplorer.cluster.execplugin import DEFAULT_EXEC_TIMEOUT
from webexplorer.cluster.incluster import load_in_cluster
from webexplorer.cluster.kubeconfig import kubeconfig_paths, load_kubeconfig
from webexplorer.settings import Settings


async def connect(
    detection: Detection,
    settings: Settings,
    env: Mapping[str, str] | None = None,
    *,
    token_refresh: float = DEFAULT_TOKEN_REFRESH,
    exec_timeout: float = DEFAULT_EXEC_TIMEOUT,
) -> Connection | None:
    """Build the connection ``detection`` chose (None for the snapshot). Raises :class:`ConfigError`
    with a sentence when the chosen configuration is broken."""
    env = os.environ if env is None else env
    connection: Connection | None
    if detection.mode == "snapshot":
        return None
    if detection.mode == "in-cluster":
        config = load_in_cluster(settings.serviceaccount_dir, env)
        connection = Connection.from_in_cluster(
            config, request_timeout=settings.request_timeout, token_refresh=token_refresh
        )
    elif detection.mode == "server":
        assert detection.server is not None
        connection = Connection.for_server(
            detection.server,
            request_timeout=settings.request_timeout,
            label="kubectl proxy" if detection.probed else None,
            # in a pod behind an ambassador (k8s/overlays/ambassador) the pod's namespace, as in-cluster
            namespace=env.get("POD_NAMESPACE", "").strip() or "default",
        )
    else:
        paths = list(detection.kubeconfig_paths)
        if not paths:
            paths, _, _ = kubeconfig_paths(settings.kubeconfig, env)
        kubeconfig = load_kubeconfig(
            paths, strict=detection.kubeconfig_strict, origin=detection.kubeconfig_origin or "--kubeconfig"
        )
        connection = Connection.from_kubeconfig(
            kubeconfig,
            settings.context,
            request_timeout=settings.request_timeout,
            token_refresh=token_refresh,
            exec_timeout=exec_timeout,
        )
    connection.detection = detection
    return connection


async def open_connection(
    settings: Settings,
    env: Mapping[str, str] | None = None,
    *,
    proxy_address: tuple[str, int] = DEFAULT_PROXY_ADDRESS,
    token_refresh: float = DEFAULT_TOKEN_REFRESH,
) -> Connection | None:
    """Detect and connect in one call; None means "serve the snapshot" (``detect`` says why)."""
    detection = await detect(settings, env, proxy_address=proxy_address)
    return await connect(detection, settings, env, token_refresh=token_refresh)
