"""Switching clusters: other kubeconfig contexts under ``/ctx/<name>/``, each with its own explorer.

Against two real control planes (the session's and one of this module's own, which serves a CRD the first
does not) and a context whose server does not answer, all in one kubeconfig.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.asgi import asgi_explorer
from tests.fixtures.cluster import ServiceAccount
from tests.fixtures.kubeconfigs import exec_user, write_yaml
from webexplorer.ports import free_port
from webexplorer.sandbox.binaries import ensure_binaries
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.settings import Settings

GROUP = "second.example.com"
PRESERVE = "x-kubernetes-preserve-unknown-fields"


@pytest.fixture(scope="module")
def second_plane() -> Iterator[ControlPlane]:
    plane = ControlPlane(ensure_binaries(lambda m: None), log=lambda m: None)
    plane.start()
    with plane.client() as admin:
        crd = {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"widgets.{GROUP}"},
            "spec": {
                "group": GROUP,
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            }
                        },
                    }
                ],
            },
        }
        assert (
            admin.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd).status_code == 201
        )
    try:
        yield plane
    finally:
        plane.stop()


def _entries(plane: ControlPlane, name: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    doc = yaml.safe_load(plane.kubeconfig.read_text())
    cluster = copy.deepcopy(doc["clusters"][0]) | {"name": name}
    user = next(u for u in doc["users"] if u["name"] == "admin") | {"name": name}
    context = {"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}}
    return cluster, user, context


@pytest.fixture(scope="module")
def kubeconfig(
    control_plane: ControlPlane, second_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    first, second = _entries(control_plane, "first"), _entries(second_plane, "second")
    broken = copy.deepcopy(first)
    broken[0]["name"] = broken[2]["name"] = broken[2]["context"]["cluster"] = "broken"
    broken[0]["cluster"]["server"] = f"https://127.0.0.1:{free_port()}"  # nothing listens there
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [e[0] for e in (first, second, broken)],
        "users": [e[1] for e in (first, second)],
        "contexts": [e[2] for e in (first, second, broken)],
        "current-context": "first",
    }
    broken[2]["context"]["user"] = "first"
    path = tmp_path_factory.mktemp("contexts") / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return path


def _settings(kubeconfig: Path, contexts: list[str]) -> Settings:
    return Settings(mode="kubeconfig", kubeconfig=str(kubeconfig), contexts=contexts, request_timeout=2)


async def test_each_offered_context_shows_its_own_cluster(kubeconfig: Path) -> None:
    async with asgi_explorer(_settings(kubeconfig, ["*"])) as c:
        assert (await c.get(f"/g/{GROUP}")).status_code == 404  # the first cluster has no such group
        other = await c.get(f"/ctx/second/g/{GROUP}")
        assert other.status_code == 200, other.text
        assert "widgets" in other.text
        assert (await c.get("/ctx/second/g/apps/v1")).status_code == 200
        assert (await c.get("/ctx/first/")).status_code == 404  # the first context is at /, not twice


async def test_a_context_that_does_not_answer_says_so_and_leaves_the_others_working(kubeconfig: Path) -> None:
    async with asgi_explorer(_settings(kubeconfig, ["*"])) as c:
        home = await c.get("/ctx/broken/")
        assert home.status_code == 200
        assert "not" in home.text.lower() and "127.0.0.1" in home.text  # the catalog problem, in a sentence
        page = await c.get("/ctx/broken/g/apps")
        assert page.status_code == 503
        assert (await c.get(f"/ctx/second/g/{GROUP}")).status_code == 200
        assert (await c.get("/g/apps")).status_code == 200


async def test_only_the_contexts_the_operator_allows_are_served(kubeconfig: Path) -> None:
    async with asgi_explorer(_settings(kubeconfig, ["second"])) as c:
        assert (await c.get(f"/ctx/second/g/{GROUP}")).status_code == 200
        refused = await c.get("/ctx/broken/")
        assert refused.status_code == 404
    async with asgi_explorer(_settings(kubeconfig, [])) as c:  # the default: no switching
        assert (await c.get(f"/ctx/second/g/{GROUP}")).status_code == 404
    token_mode = _settings(kubeconfig, ["*"]).model_copy(update={"identity": "token"})
    async with asgi_explorer(token_mode) as c:  # a visitor's token belongs to one cluster
        assert (await c.get(f"/ctx/second/g/{GROUP}")).status_code == 404


async def test_unknown_and_malformed_context_names_are_a_404_page(kubeconfig: Path) -> None:
    async with asgi_explorer(_settings(kubeconfig, ["*"])) as c:
        for path in ("/ctx/nope/", "/ctx/%3Cscript%3E/", "/ctx/..%2Fsecond/g/apps", "/ctx/second%00/"):
            answer = await c.get(path)
            assert answer.status_code in (404, 400), (path, answer.status_code)
            assert "<script>" not in answer.text


def _without_picker(page: str) -> tuple[str, str]:
    """The page without the header's picker, and the picker."""
    head, _, rest = page.partition('<details class="context-picker" id="context-picker">')
    picker, _, tail = rest.partition("</details>")
    return head + tail, picker


async def test_links_stay_in_the_context_and_the_header_offers_every_allowed_one(kubeconfig: Path) -> None:
    async with asgi_explorer(_settings(kubeconfig, ["second"])) as c:
        page, picker = _without_picker((await c.get("/ctx/second/g/apps/v1")).text)
        pages = [h for h in re.findall(r'href="(/[^"]*)"', page) if not h.startswith("/static/")]
        assert pages and all(h.startswith("/ctx/second/") for h in pages), pages
        assert 'href="/g/apps/v1"' in picker  # this page in the first context
        assert 'href="/ctx/second/g/apps/v1" aria-current="page"' in picker
        assert "broken" not in picker  # not offered by the operator
        first, picker = _without_picker((await c.get("/g/apps/v1")).text)
        assert 'href="/ctx/second/g/apps/v1"' in picker
        assert "/ctx/" not in first


async def test_each_context_uses_its_own_credentials_exec_plugins_included(
    control_plane: ControlPlane,
    service_account: Callable[..., ServiceAccount],
    tmp_path: Path,
) -> None:
    """A second context of the same cluster whose user is an exec credential plugin handing out a limited
    service account's token: its pages run as that account (the plugin ran), the first as the admin."""
    account = service_account(
        namespace=f"ctx-{uuid.uuid4().hex[:6]}",
        rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}],
    )
    token_file, counter = tmp_path / "token", tmp_path / "runs"
    token_file.write_text(account.token)
    doc = yaml.safe_load(control_plane.kubeconfig.read_text())
    cluster = doc["clusters"][0]
    admin = next(u for u in doc["users"] if u["name"] == "admin")
    plugin = {
        "name": "plugin",
        "user": exec_user({"EXEC_TOKEN_FILE": str(token_file), "EXEC_COUNTER": str(counter)}),
    }
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [cluster],
        "users": [admin, plugin],
        "contexts": [
            {
                "name": "admin",
                "context": {"cluster": cluster["name"], "user": "admin", "namespace": "default"},
            },
            {
                "name": "ci",
                "context": {"cluster": cluster["name"], "user": "plugin", "namespace": account.namespace},
            },
        ],
        "current-context": "admin",
    }
    config = write_yaml(tmp_path / "kubeconfig", doc)
    async with asgi_explorer(_settings(config, ["ci"])) as c:
        first = await c.get("/")
        assert "admin" in _acting_as(first.text) and not counter.exists()  # nothing opened it yet
        ci = await c.get(f"/ctx/ci/can-i?namespace={account.namespace}")
        assert ci.status_code == 200, ci.text
        assert account.username in _acting_as(ci.text)
        assert counter.read_text().count("\n") >= 1  # the plugin gave the token
        assert re.search(r"<td class=\"mono\">configmaps</td>", ci.text)
        sent = await c.get(
            f"/ctx/ci/try/core/v1/listCoreV1NamespacedConfigMap?p.namespace={account.namespace}"
        )
        assert 'id="tryout-denied"' not in sent.text
        refused = await c.get("/ctx/ci/try/core/v1/listCoreV1NamespacedConfigMap?p.namespace=default")
        assert 'id="tryout-denied"' in refused.text
        assert "admin" in _acting_as((await c.get("/g/apps")).text)  # the first context is untouched


def _acting_as(page: str) -> str:
    start = page.find('id="acting-as"')
    return re.sub(r"<[^>]+>", " ", page[start : page.find("</span>", page.find("</a>", start))])
