"""Helpers for the try-it tests: an in-process explorer against the real control plane, a client that
behaves like the explorer's own page (session cookie, CSRF token, same-origin headers), and the API
server's audit log as the witness of what was (not) sent."""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import yaml

from webexplorer.app import create_app
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.settings import Settings

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def marker() -> str:
    return f"tryout-{uuid.uuid4().hex[:10]}"


class ExplorerClient:
    """An explorer app in this process, driven as its own page would drive it."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def open(self, url: str) -> httpx.Response:
        response = await self.client.get(url)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def send(
        self,
        op: str,
        fields: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        *,
        group: str = "core",
        version: str = "v1",
        headers: Mapping[str, str] | None = None,
        csrf: str | None = None,
        htmx: bool = False,
        same_origin: bool = True,
    ) -> httpx.Response:
        url = f"/try/{group}/{version}/{op}"
        if not self.csrf:
            await self.open(url)
        pairs = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
        data = [("csrf", self.csrf if csrf is None else csrf), *pairs]
        sent_headers = {**(SAME_ORIGIN if same_origin else {}), **(headers or {})}
        if htmx:
            sent_headers["HX-Request"] = "true"
        sent_headers["Content-Type"] = "application/x-www-form-urlencoded"
        return await self.client.post(url, content=urlencode(data), headers=sent_headers)


@asynccontextmanager
async def explorer_app(
    kubeconfig: Path, *, allow_writes: bool = False, **settings: Any
) -> AsyncIterator[ExplorerClient]:
    app = create_app(
        Settings(kubeconfig=str(kubeconfig), mode="kubeconfig", allow_writes=allow_writes, **settings)
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost", timeout=30) as client:
            yield ExplorerClient(client)


def basic(password: str) -> str:
    """The Authorization header of the trusted authenticating proxy (``--trusted-proxy-secret``)."""
    return "Basic " + base64.b64encode(f"proxy:{password}".encode()).decode()


def audit_count(control_plane: ControlPlane, needle: str) -> int:
    """Requests the API server logged whose URI contains ``needle`` (audit log, Metadata level)."""
    return sum(1 for e in control_plane.audit_events() if needle in str(e.get("requestURI", "")))


def token_kubeconfig(control_plane: ControlPlane, token: str, path: Path, namespace: str = "default") -> Path:
    """A kubeconfig for the sandbox that authenticates with ``token`` (e.g. a limited service account)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "sandbox",
                "cluster": {"server": control_plane.url, "certificate-authority": str(control_plane.ca_file)},
            }
        ],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "c", "context": {"cluster": "sandbox", "user": "u", "namespace": namespace}}],
        "current-context": "c",
    }
    path.write_text(yaml.safe_dump(config))
    return path


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with ``id`` (tags removed; enough for assertions)."""
    start = html.find(f'id="{element_id}"')
    assert start != -1, f"no #{element_id} in the page"
    start = html.find(">", start) + 1  # after the element's own opening tag, whatever attributes it has
    chunk = html[start : start + 20000]
    return html_lib.unescape(re.sub(r"<[^>]+>", "", chunk))


def apply_owned_configmap(admin: httpx.Client, namespace: str, name: str, manager: str) -> None:
    """A ConfigMap ``data.a: "1"`` made by server-side apply, so ``manager`` owns the field (the other
    side of an apply conflict)."""
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}}
    admin.patch(
        f"/api/v1/namespaces/{namespace}/configmaps/{name}",
        params={"fieldManager": manager},
        content=json.dumps(body),
        headers={"Content-Type": "application/apply-patch+yaml"},
    ).raise_for_status()


def conflicting_apply(namespace: str, name: str) -> dict[str, str]:
    """The try-it fields of a real server-side apply (manager ``webexplorer``) that changes ``data.a``
    of :func:`apply_owned_configmap`'s object: a conflict."""
    return {
        "p.namespace": namespace,
        "p.name": name,
        "q.fieldManager": "webexplorer",
        "patch_type": "application/apply-patch+yaml",
        "body": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: '2'\n",
        "dry_run": "off",
    }
