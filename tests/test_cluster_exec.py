"""Exec credential plugins, run for real: tests/fixtures/execplugin.py under ``sys.executable`` hands out
real TokenRequest tokens (or the sandbox admin's client certificate) and counts its runs in a file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.fixtures.cluster import ServiceAccount
from tests.fixtures.kubeconfigs import exec_user, kubeconfig_doc, write_yaml
from tests.test_cluster_live import revoke
from webexplorer.cluster import Connection, CredentialError, load_kubeconfig, whoami
from webexplorer.cluster.auth import ExecSource
from webexplorer.sandbox.controlplane import ControlPlane

SAFactory = Callable[..., ServiceAccount]


def runs(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def exec_connection(
    tmp_path: Path, control_plane: ControlPlane, env: dict[str, str], **user_kw: object
) -> Connection:
    doc = kubeconfig_doc(
        server=control_plane.url,
        cluster={"certificate-authority": str(control_plane.ca_file)},
        user=exec_user(env, **user_kw),  # type: ignore[arg-type]
    )
    return Connection.from_kubeconfig(load_kubeconfig([write_yaml(tmp_path / "config", doc)]))


async def test_exec_token_is_cached_until_expiry_and_rerun_after_a_401(
    control_plane: ControlPlane, service_account: SAFactory, admin_client: httpx.Client, tmp_path: Path
) -> None:
    first, second = service_account(), service_account()
    token_file, counter, info = tmp_path / "token", tmp_path / "runs", tmp_path / "info.json"
    token_file.write_text(first.token)
    env = {
        "EXEC_TOKEN_FILE": str(token_file),
        "EXEC_COUNTER": str(counter),
        "EXEC_INFO_OUT": str(info),
        "EXEC_EXPIRES_IN": "3600",
    }
    async with exec_connection(tmp_path, control_plane, env, provide_cluster_info=True) as conn:
        assert conn.describe_auth().startswith("exec plugin python")
        assert conn.describe_auth().endswith("execplugin.py")
        # concurrent first requests share one run
        answers = await asyncio.gather(*(conn.fetch("/api") for _ in range(5)))
        assert {a.status for a in answers} == {200}
        assert (await whoami(conn)).username == first.username  # type: ignore[union-attr]
        assert runs(counter) == 1

        exec_info = json.loads(info.read_text())
        assert exec_info["apiVersion"] == "client.authentication.k8s.io/v1"
        assert exec_info["kind"] == "ExecCredential" and exec_info["spec"]["interactive"] is False
        cluster = exec_info["spec"]["cluster"]
        assert cluster["server"] == control_plane.url
        assert cluster["certificate-authority-data"]

        token_file.write_text(second.token)
        revoke(admin_client, control_plane, first)
        identity = await whoami(conn)  # 401 with the cached token -> plugin runs again -> retried
        assert identity is not None and identity.username == second.username
        assert runs(counter) == 2
        assert first.token not in repr(conn) and second.token not in conn.describe_auth()


async def test_expired_exec_credentials_are_fetched_again(
    control_plane: ControlPlane, service_account: SAFactory, tmp_path: Path
) -> None:
    account = service_account()
    token_file, counter = tmp_path / "token", tmp_path / "runs"
    token_file.write_text(account.token)
    env = {"EXEC_TOKEN_FILE": str(token_file), "EXEC_COUNTER": str(counter), "EXEC_EXPIRES_IN": "-60"}
    async with exec_connection(
        tmp_path, control_plane, env, api_version="client.authentication.k8s.io/v1beta1"
    ) as conn:
        for _ in range(3):
            assert (await conn.fetch("/api")).status == 200
        assert runs(counter) == 3
        info_less = isinstance(conn.credentials, ExecSource) and conn.credentials.spec.cluster_info is None
        assert info_less


async def test_exec_plugin_client_certificate(control_plane: ControlPlane, tmp_path: Path) -> None:
    env = {
        "EXEC_CERT_FILE": str(control_plane.admin_cert_file),
        "EXEC_KEY_FILE": str(control_plane.admin_key_file),
        "EXEC_COUNTER": str(tmp_path / "runs"),
    }
    async with exec_connection(tmp_path, control_plane, env) as conn:
        identity = await whoami(conn)
        assert identity is not None and identity.username == "admin" and "system:masters" in identity.groups
        assert "client certificate from the exec plugin" in conn.describe_auth()


@pytest.mark.parametrize(
    ("env", "pattern"),
    [
        (
            {"EXEC_FAIL": "error: run 'cloud login' first"},
            r"failed with exit status 3: error: run 'cloud login' first: run '.*execplugin.py' in a terminal",
        ),
        ({"EXEC_OUTPUT": "not json"}, "did not print an ExecCredential JSON object"),
        (
            {
                "EXEC_OUTPUT": json.dumps(
                    {"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1", "status": {}}
                )
            },
            "returned neither a token nor a client certificate",
        ),
        (
            {"EXEC_API_VERSION": "client.authentication.k8s.io/v1beta1", "EXEC_TOKEN_FILE": "/dev/null"},
            "answered with apiVersion 'client.authentication.k8s.io/v1beta1' but the kubeconfig asks for",
        ),
    ],
    ids=["exit-status", "not-json", "empty-status", "wrong-api-version"],
)
async def test_exec_plugin_failures_are_sentences(
    control_plane: ControlPlane, tmp_path: Path, env: dict[str, str], pattern: str
) -> None:
    async with exec_connection(tmp_path, control_plane, env) as conn:
        with pytest.raises(CredentialError, match=pattern) as info:
            await conn.fetch("/api")
    assert str(info.value).endswith(".") and "\n" not in str(info.value)


async def test_exec_plugin_stderr_is_redacted(control_plane: ControlPlane, tmp_path: Path) -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eHh4eHh4eCJ9.c2lnbmF0dXJlc2ln"
    async with exec_connection(tmp_path, control_plane, {"EXEC_FAIL": f"bad token {jwt}"}) as conn:
        with pytest.raises(CredentialError) as info:
            await conn.fetch("/api")
    assert jwt not in str(info.value) and "bad token ***" in str(info.value)


async def test_missing_exec_plugin_names_the_install_hint(
    control_plane: ControlPlane, tmp_path: Path
) -> None:
    doc = kubeconfig_doc(
        server=control_plane.url,
        user={
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": "no-such-plugin-xyz",
                "installHint": "Install it with: apt-get install xyz",
                "interactiveMode": "Never",
            }
        },
    )
    async with Connection.from_kubeconfig(load_kubeconfig([write_yaml(tmp_path / "c", doc)])) as conn:
        with pytest.raises(
            CredentialError, match=r"'no-such-plugin-xyz' .* not found \(Install it with: apt-get"
        ):
            await conn.fetch("/api")


async def test_exec_plugin_time_limit(control_plane: ControlPlane, tmp_path: Path) -> None:
    doc = kubeconfig_doc(
        server=control_plane.url,
        user=exec_user({"EXEC_SLEEP": "30"}),
        cluster={"certificate-authority": str(control_plane.ca_file)},
    )
    kc = load_kubeconfig([write_yaml(tmp_path / "c", doc)])
    async with Connection.from_kubeconfig(kc, exec_timeout=0.5) as conn:
        with pytest.raises(CredentialError, match=r"did not finish within 0.5 s"):
            await conn.fetch("/api")
