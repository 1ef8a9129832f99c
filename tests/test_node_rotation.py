"""The kubelet rotates the projected service-account token under a running explorer (``-m "node and slow"``).

``k8s/test/rotation`` asks for a 600-second token, the shortest the API server issues; the kubelet
replaces it once 80 % of its lifetime has passed (about 8 minutes). Throughout, the explorer answers
try-it reads through ``kubectl port-forward`` (each one a real request to the API server with whatever
token it holds), and none may fail; after the swap, the API server's audit log must show the explorer
authenticating with the *new* token (its JTI), which it re-reads from the file on its own.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.node import NAMESPACE, Deployed, NodeCluster, deploy
from tests.tryout_helpers import ExplorerClient

pytestmark = [pytest.mark.node, pytest.mark.slow]

TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
SA_USER = f"system:serviceaccount:{NAMESPACE}:webexplorer"
#: the API server's answer as try-it shows it, "200 OK"
STATUS = re.compile(r'id="tryout-code">([^<]+)<')
#: 80 % of 600 s is 480 s; the kubelet looks at its volumes on every pod sync (10 s here) and a loaded
#: machine adds more: give it 11 minutes in all.
ROTATION_DEADLINE = 660.0
#: the explorer re-reads its token file every 60 s
SWITCH_DEADLINE = 150.0


@pytest.fixture
def rotation(node_cluster: NodeCluster) -> Iterator[Deployed]:
    with deploy(node_cluster, "rotation") as deployed:
        yield deployed


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    parsed: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return parsed


def credential_ids(cluster: NodeCluster, pod_name: str) -> set[str]:
    """The token JTIs the API server saw on the explorer's requests from this pod."""
    return {
        e["user"]["extra"]["authentication.kubernetes.io/credential-id"][0]
        for e in cluster.plane.audit_events()
        if e.get("user", {}).get("username") == SA_USER
        and e["user"].get("extra", {}).get("authentication.kubernetes.io/pod-name") == [pod_name]
        and "authentication.kubernetes.io/credential-id" in e["user"].get("extra", {})
    }


async def test_the_kubelet_rotates_the_token_and_no_request_fails(rotation: Deployed) -> None:
    cluster = rotation.cluster
    pod_name = rotation.pod()["metadata"]["name"]

    def read_token() -> str:
        return cluster.kubectl("-n", NAMESPACE, "exec", pod_name, "--", "cat", TOKEN).stdout.strip()

    first = read_token()
    first_claims = claims(first)
    assert first_claims["exp"] - first_claims["iat"] == 600
    statuses: list[str] = []
    started = time.monotonic()
    with cluster.port_forward("svc/webexplorer", 80) as url:
        async with httpx.AsyncClient(base_url=url.replace("127.0.0.1", "localhost"), timeout=30) as client:
            explorer = ExplorerClient(client)

            async def one_read() -> None:
                answer = await explorer.send("listCoreV1NamespacedConfigMap", {"p.namespace": NAMESPACE})
                status = STATUS.search(answer.text)
                statuses.append(
                    status.group(1).strip() if status else f"HTTP {answer.status_code}, no answer"
                )

            rotated_at: float | None = None
            token = first
            while time.monotonic() - started < ROTATION_DEADLINE:
                await one_read()
                if len(statuses) % 5 == 0 and (token := read_token()) != first:
                    rotated_at = time.monotonic() - started
                    break
                await asyncio.sleep(3)
            assert rotated_at is not None, f"the kubelet did not rotate the token in {ROTATION_DEADLINE:.0f}s"
            new_jti = "JTI=" + claims(token)["jti"]
            assert new_jti != "JTI=" + first_claims["jti"]
            switched_at: float | None = None
            while time.monotonic() - started < rotated_at + SWITCH_DEADLINE:
                await one_read()
                if new_jti in credential_ids(cluster, pod_name):
                    switched_at = time.monotonic() - started
                    break
                await asyncio.sleep(3)
            for _ in range(3):  # and it keeps working with the new one
                await one_read()
    print(f"token rotated after {rotated_at:.0f}s, explorer on the new token after {switched_at}s")
    assert switched_at is not None, "the explorer never used the rotated token"
    assert statuses and set(statuses) == {"200 OK"}, statuses
