"""Exec credential plugins (``client.authentication.k8s.io/v1`` and ``v1beta1``), run without blocking.

The plugin runs through :func:`asyncio.create_subprocess_exec` (no shell), with stdin closed because
the explorer is never interactive, ``KUBERNETES_EXEC_INFO`` describing the request, and the kubeconfig's
``env`` entries on top of the explorer's own environment, as kubectl does. The answer is an
``ExecCredential`` whose ``status`` holds a bearer token or a client certificate/key pair and an optional
``expirationTimestamp``. Errors quote the plugin's stderr, scrubbed of anything token-shaped, because a
plugin's own words ("run aws sso login") are usually the fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webexplorer.cluster.errors import CredentialError, redact
from webexplorer.cluster.kubeexec import ExecSpec

DEFAULT_EXEC_TIMEOUT = 60.0
_MAX_OUTPUT = 1 << 20


@dataclass(frozen=True, slots=True)
class ExecCredential:
    """What a plugin handed back. ``expires_at`` is a ``time.time()`` value, or None for "until a 401"."""

    token: str | None = field(default=None, repr=False)
    client_cert_pem: bytes | None = field(default=None, repr=False)
    client_key_pem: bytes | None = field(default=None, repr=False)
    expires_at: float | None = None

    def fresh(self, now: float | None = None, margin: float = 10.0) -> bool:
        """Still usable ``margin`` seconds from now."""
        if self.expires_at is None:
            return True
        return (now if now is not None else time.time()) + margin < self.expires_at


def exec_info(spec: ExecSpec) -> str:
    """The ``KUBERNETES_EXEC_INFO`` JSON for ``spec``."""
    body: dict[str, Any] = {"interactive": False}
    if spec.provide_cluster_info and spec.cluster_info is not None:
        body["cluster"] = dict(spec.cluster_info)
    return json.dumps({"apiVersion": spec.api_version, "kind": "ExecCredential", "spec": body})


def describe_command(spec: ExecSpec) -> str:
    """The plugin's command line for the UI: the program's base name and its args (args of plugins
    such as ``aws eks get-token --cluster-name X`` name no secrets; env values, which might, are left out)."""
    return " ".join([os.path.basename(spec.command), *spec.args])


async def run_exec_plugin(
    spec: ExecSpec,
    *,
    base_env: Mapping[str, str] | None = None,
    time_limit: float = DEFAULT_EXEC_TIMEOUT,
) -> ExecCredential:
    """Run the plugin once and parse its ExecCredential; raises :class:`CredentialError` with a sentence."""
    name = os.path.basename(spec.command)
    if spec.interactive_mode == "Always":
        raise CredentialError(
            f"The exec credential plugin {name!r} needs an interactive terminal (interactiveMode: Always), "
            "which the explorer never has: log in with it once in a terminal, or configure a "
            "non-interactive credential."
        )
    env = dict(os.environ if base_env is None else base_env)
    env.update(spec.env)
    env["KUBERNETES_EXEC_INFO"] = exec_info(spec)
    # env values shaped like secrets (long, no spaces) are scrubbed from the plugin's stderr we quote
    secrets = [value for _, value in spec.env if len(value) >= 16 and not any(c.isspace() for c in value)]
    try:
        process = await asyncio.create_subprocess_exec(
            spec.command,
            *spec.args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
    except FileNotFoundError:
        hint = f" ({spec.install_hint.strip()})" if spec.install_hint else ""
        raise CredentialError(
            f"The exec credential plugin {spec.command!r} named in the kubeconfig was not found{hint}: "
            "install it or fix the user's exec command."
        ) from None
    except PermissionError:
        raise CredentialError(
            f"The exec credential plugin {spec.command!r} is not executable: chmod +x it or fix the "
            "user's exec command."
        ) from None
    try:
        async with asyncio.timeout(time_limit):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise CredentialError(
            f"The exec credential plugin {name!r} did not finish within {time_limit:g} s: it may be waiting "
            "for a login; run it in a terminal to see."
        ) from None
    err_text = _last_lines(stderr, secrets)
    if process.returncode != 0:
        said = f": {err_text}" if err_text else ""
        raise CredentialError(
            f"The exec credential plugin {name!r} failed with exit status {process.returncode}{said}: run "
            f"'{describe_command(spec)}' in a terminal to see why."
        )
    return parse_exec_credential(stdout[:_MAX_OUTPUT], spec)


def parse_exec_credential(stdout: bytes, spec: ExecSpec) -> ExecCredential:
    """Check and read a plugin's answer."""
    name = os.path.basename(spec.command)
    try:
        document = json.loads(stdout)
    except (ValueError, UnicodeDecodeError):
        raise CredentialError(
            f"The exec credential plugin {name!r} did not print an ExecCredential JSON object: check the "
            "plugin's version and its arguments in the kubeconfig."
        ) from None
    if not isinstance(document, dict) or document.get("kind") != "ExecCredential":
        raise CredentialError(
            f"The exec credential plugin {name!r} printed JSON that is not an ExecCredential: check the "
            "plugin's version and its arguments in the kubeconfig."
        )
    if document.get("apiVersion") != spec.api_version:
        raise CredentialError(
            f"The exec credential plugin {name!r} answered with apiVersion {document.get('apiVersion')!r} "
            f"but the kubeconfig asks for {spec.api_version!r}: set the user's exec apiVersion to match."
        )
    status = document.get("status")
    if not isinstance(status, dict):
        raise CredentialError(
            f"The exec credential plugin {name!r} returned no status: it must print a token or a client "
            "certificate; run it in a terminal to see what it says."
        )
    token = status.get("token")
    cert = status.get("clientCertificateData")
    key = status.get("clientKeyData")
    if token is not None and not isinstance(token, str):
        token = None
    if (cert is None) != (key is None) or (
        cert is not None and not (isinstance(cert, str) and isinstance(key, str))
    ):
        raise CredentialError(
            f"The exec credential plugin {name!r} returned a client certificate without its key (or the "
            "reverse): both clientCertificateData and clientKeyData are needed."
        )
    if not token and cert is None:
        raise CredentialError(
            f"The exec credential plugin {name!r} returned neither a token nor a client certificate: run "
            f"'{describe_command(spec)}' in a terminal to see what it says."
        )
    expires_at: float | None = None
    stamp = status.get("expirationTimestamp")
    if stamp:
        try:
            expires_at = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise CredentialError(
                f"The exec credential plugin {name!r} returned an expirationTimestamp that is not RFC 3339 "
                f"({redact(str(stamp))[:40]!r}): update the plugin."
            ) from None
    return ExecCredential(
        token=token or None,
        client_cert_pem=cert.encode() if isinstance(cert, str) else None,
        client_key_pem=key.encode() if isinstance(key, str) else None,
        expires_at=expires_at,
    )


def _last_lines(stderr: bytes, secrets: list[str]) -> str:
    text = stderr[-4000:].decode("utf-8", errors="replace").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    tail = " / ".join(lines[-3:])
    tail = redact(tail, *secrets)
    return tail if len(tail) <= 300 else "..." + tail[-297:]
