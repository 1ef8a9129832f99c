"""The answer panel's later views, end to end against the real control plane: an htmx answer carries
what is seen first (status, headers, the JSON view, commands) and the answer sealed for this session;
the YAML and *Explain this object* views are rendered from it when their tab is opened — without
sending anything to the API server again (its audit log is the witness) — and open for no one else."""

# The admin client is the test's own witness, independent of the explorer under test (see
# test_tryout_live.py), so ASYNC212 does not apply.
# ruff: noqa: ASYNC212
from __future__ import annotations

import html as html_lib
import re

import httpx

from tests.tryout_helpers import SAME_ORIGIN, ExplorerClient, audit_count, explorer_app, marker, text_of
from webexplorer.sandbox.controlplane import ControlPlane

CM = "/api/v1/namespaces/default/configmaps"
SEALED = re.compile(r'name="answer" value="([^"]+)" id="tryout-sealed-answer"')
EVIL = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'


def sealed_answer(page: str) -> str:
    found = SEALED.search(page)
    assert found, "no sealed answer in the panel"
    return found.group(1)


async def later_view(
    ex: ExplorerClient, view: str, sealed: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """What the panel's htmx sends when a tab left for later is opened."""
    sent = {**SAME_ORIGIN, "HX-Request": "true"} if headers is None else headers
    return await ex.client.post(f"/try/view/{view}", data={"answer": sealed}, headers=sent)


def shown(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", fragment))


async def test_yaml_and_explain_are_rendered_when_their_tab_opens(
    control_plane: ControlPlane, admin_client: httpx.Client
) -> None:
    name = marker()
    admin_client.post(
        CM, json={"metadata": {"name": name, "annotations": {"evil": EVIL}}, "data": {"a": "1"}}
    )
    try:
        async with explorer_app(control_plane.kubeconfig) as ex:
            fields = {"p.namespace": "default", "p.name": name}
            panel = await ex.send("readCoreV1NamespacedConfigMap", fields, htmx=True)
            assert "200 OK" in text_of(panel.text, "tryout-code")
            assert f'"name": "{name}"' in text_of(panel.text, "tryout-body-json")
            assert "$TOKEN" in text_of(panel.text, "tryout-curl")
            # the later views are offered, not rendered
            assert 'id="tryout-explain-tab"' in panel.text and 'id="tryout-body-yaml"' in panel.text
            assert f"name: {name}" not in shown(panel.text) and "ObjectMeta" not in panel.text
            sealed = sealed_answer(panel.text)
            assert name not in sealed and control_plane.admin_token not in panel.text

            sent_before = audit_count(control_plane, name)
            yaml_view = await later_view(ex, "yaml", sealed)
            assert yaml_view.status_code == 200
            assert f"name: {name}" in shown(yaml_view.text) and "kind: ConfigMap" in shown(yaml_view.text)
            assert "<script>" not in yaml_view.text and "&lt;script&gt;" in yaml_view.text
            explained = await later_view(ex, "explain", sealed)
            assert explained.status_code == 200
            assert "ObjectMeta" in shown(explained.text) and "map[string]string" in shown(explained.text)
            assert "<script>" not in explained.text and "<img" not in explained.text
            # both views came from the sealed answer: the API server saw no second request
            assert audit_count(control_plane, name) == sent_before

            # a whole page (no JavaScript) still carries every view
            page = await ex.send("readCoreV1NamespacedConfigMap", fields)
            assert f"name: {name}" in text_of(page.text, "tryout-body-yaml")
            assert "ObjectMeta" in text_of(page.text, "tryout-explain")
            assert 'id="tryout-sealed-answer"' not in page.text
    finally:
        admin_client.delete(f"{CM}/{name}")


async def test_a_sealed_answer_opens_for_this_session_and_from_this_site_only(
    control_plane: ControlPlane, admin_client: httpx.Client
) -> None:
    name = marker()
    admin_client.post(CM, json={"metadata": {"name": name}, "data": {"secret-ish": "s3cr3t"}})
    try:
        async with explorer_app(control_plane.kubeconfig) as ex:
            panel = await ex.send(
                "readCoreV1NamespacedConfigMap", {"p.namespace": "default", "p.name": name}, htmx=True
            )
            sealed = sealed_answer(panel.text)
            cross_site = await later_view(ex, "yaml", sealed, {"Sec-Fetch-Site": "cross-site"})
            assert cross_site.status_code == 403 and "s3cr3t" not in cross_site.text
            assert (await later_view(ex, "table", sealed)).status_code == 404
            changed = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
            for value in (changed, "", "not-sealed"):
                r = await later_view(ex, "yaml", value)
                assert "send the request again" in shown(r.text) and "s3cr3t" not in r.text
            # the answer is bound to the session that asked: another visitor's browser gets nothing
            ex.client.cookies.clear()
            other = await later_view(ex, "yaml", sealed)
            assert "send the request again" in shown(other.text) and "s3cr3t" not in other.text
    finally:
        admin_client.delete(f"{CM}/{name}")


async def test_lists_and_statuses_offer_yaml_but_no_explain(control_plane: ControlPlane) -> None:
    async with explorer_app(control_plane.kubeconfig) as ex:
        missing = await ex.send(
            "readCoreV1NamespacedConfigMap", {"p.namespace": "default", "p.name": marker()}, htmx=True
        )
        assert "404 Not Found" in text_of(missing.text, "tryout-code")
        assert "tryout-explain-tab" not in missing.text
        yaml_view = await later_view(ex, "yaml", sealed_answer(missing.text))
        assert "reason: NotFound" in shown(yaml_view.text)
        listed = await ex.send("listCoreV1Namespace", {}, htmx=True)
        assert "tryout-explain-tab" not in listed.text
        assert "kind: NamespaceList" in shown((await later_view(ex, "yaml", sealed_answer(listed.text))).text)
