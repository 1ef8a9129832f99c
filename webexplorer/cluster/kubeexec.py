"""An exec credential plugin as a kubeconfig user describes it (``users[].user.exec``), checked.

Only reading: :mod:`.execplugin` runs the plugin. With ``provideClusterInfo`` the plugin is handed the
cluster it serves (server, CA, the exec extension's config), as client-go hands it.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webexplorer.cluster.errors import KubeconfigError
from webexplorer.cluster.kubefields import kind_of, opt_bool, opt_str

EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
EXEC_CLUSTER_EXTENSION = "client.authentication.k8s.io/exec"
INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")


@dataclass(frozen=True, slots=True)
class ExecSpec:
    """An exec credential plugin as the kubeconfig describes it (``users[].user.exec``)."""

    command: str
    args: tuple[str, ...]
    #: extra environment for the plugin; values may be secrets, so kept out of repr
    env: tuple[tuple[str, str], ...] = field(repr=False)
    api_version: str
    install_hint: str | None
    provide_cluster_info: bool
    interactive_mode: str
    #: the ExecCredential ``spec.cluster`` to pass when provide_cluster_info is set
    cluster_info: Mapping[str, Any] | None = field(default=None, repr=False)


def exec_spec(
    raw: object,
    us_what: str,
    us_src: Path,
    cl: Mapping[str, Any],
    cl_what: str,
    cl_src: Path,
    server: str,
    ca_pem: bytes | None,
) -> ExecSpec:
    """The ``exec`` mapping ``raw`` of a user, checked; the cluster fields are what
    ``provideClusterInfo`` hands the plugin."""
    what = f"the exec plugin of {us_what}"
    if not isinstance(raw, dict):
        raise KubeconfigError(
            f"The kubeconfig {us_src}: 'exec' of {us_what} is {kind_of(raw)}, not a mapping."
        )
    command = opt_str(raw, "command", what, us_src)
    if not command:
        raise KubeconfigError(f"The kubeconfig {us_src}: {what} has no command: add 'command: ...'.")
    if "/" in command and not os.path.isabs(command):
        command = str(us_src.parent / command)
    api_version = opt_str(raw, "apiVersion", what, us_src)
    if api_version not in EXEC_API_VERSIONS:
        raise KubeconfigError(
            f"The kubeconfig {us_src}: {what} asks for apiVersion {api_version!r}; the explorer speaks "
            f"{' and '.join(EXEC_API_VERSIONS)}: update the plugin configuration."
        )
    args_raw = raw.get("args") or []
    if not isinstance(args_raw, list) or not all(isinstance(a, str) for a in args_raw):
        raise KubeconfigError(f"The kubeconfig {us_src}: 'args' of {what} must be a list of strings.")
    env_raw = raw.get("env") or []
    env: list[tuple[str, str]] = []
    if not isinstance(env_raw, list):
        raise KubeconfigError(f"The kubeconfig {us_src}: 'env' of {what} must be a list of name/value pairs.")
    for item in env_raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise KubeconfigError(
                f"The kubeconfig {us_src}: an 'env' entry of {what} lacks a name: use '- name: X' "
                "and 'value: Y'."
            )
        value = item.get("value", "")
        env.append((item["name"], "" if value is None else str(value)))
    interactive = opt_str(raw, "interactiveMode", what, us_src) or "IfAvailable"
    if interactive not in INTERACTIVE_MODES:
        raise KubeconfigError(
            f"The kubeconfig {us_src}: interactiveMode of {what} is {interactive!r}; use one of "
            f"{', '.join(INTERACTIVE_MODES)}."
        )
    provide = opt_bool(raw, "provideClusterInfo", what, us_src)
    cluster_info: dict[str, Any] | None = None
    if provide:
        cluster_info = {"server": server}
        for key in ("tls-server-name", "proxy-url"):
            value = cl.get(key)
            if isinstance(value, str) and value:
                cluster_info[key] = value
        if cl.get("insecure-skip-tls-verify") is True:
            cluster_info["insecure-skip-tls-verify"] = True
        if cl.get("disable-compression") is True:
            cluster_info["disable-compression"] = True
        if ca_pem is not None:
            cluster_info["certificate-authority-data"] = base64.b64encode(ca_pem).decode("ascii")
        for ext in cl.get("extensions") or []:
            if isinstance(ext, dict) and ext.get("name") == EXEC_CLUSTER_EXTENSION:
                cluster_info["config"] = ext.get("extension")
    hint = opt_str(raw, "installHint", what, us_src)
    return ExecSpec(
        command=command,
        args=tuple(args_raw),
        env=tuple(env),
        api_version=api_version,
        install_hint=hint,
        provide_cluster_info=provide,
        interactive_mode=interactive,
        cluster_info=cluster_info,
    )
