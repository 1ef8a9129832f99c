"""Release history, the release views, the diff across releases and the upgrade page, in-process over the
embedded releases (each recorded from a real kube-apiserver of that release by scripts/record-releases).

Facts are checked against what those servers served, as recorded: the group versions of each release's
discovery, the fields of its OpenAPI, the ``Warning`` its list answered with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from fastapi import FastAPI

# the same in-process client and page check as every other page family's (over this module's `app`)
from tests.test_pages_snapshot import client as client
from tests.test_pages_snapshot import page
from webexplorer.app import create_app
from webexplorer.catalog import SnapshotSource
from webexplorer.catalog.history import ApiHistory, parse_deprecation
from webexplorer.catalog.snapshot import embedded_snapshots
from webexplorer.settings import Settings
from webexplorer.web.releases import release_label

LABELS = [release_label(p) for p in embedded_snapshots()]
OLDEST, NEWEST = LABELS[0], LABELS[-1]
FLOWCONTROL_BETA3 = "flowcontrol.apiserver.k8s.io/v1beta3"


@pytest.fixture(scope="module")
async def app() -> AsyncIterator[FastAPI]:
    app = create_app(Settings(mode="snapshot"))
    async with app.router.lifespan_context(app):
        await app.state.webexplorer.releases.history()  # built in the background otherwise
        yield app


async def _discovery(label: str) -> set[str]:
    """The group versions the release's own server listed in /apis and /api (as recorded)."""
    source = SnapshotSource(embedded_snapshots()[LABELS.index(label)])
    apis = orjson.loads((await source.fetch("/apis")).body)
    gvs = {v["groupVersion"] for g in apis["groups"] for v in g["versions"]}
    return gvs | set(orjson.loads((await source.fetch("/api")).body)["versions"])


async def _history(app: FastAPI) -> ApiHistory:
    history: ApiHistory = await app.state.webexplorer.releases.history()
    return history


def test_releases_are_ordered_and_named_by_their_servers() -> None:
    assert sorted(LABELS, key=lambda v: tuple(int(x) for x in v[1:].split("."))) == LABELS
    assert len(LABELS) == 7 and NEWEST == "v1.37.2"  # seven minors; the newest is the test control plane's
    for path in embedded_snapshots():
        assert SnapshotSource(path).info.server_version == release_label(path)


async def test_history_follows_each_servers_discovery(app: FastAPI) -> None:
    history = await _history(app)
    served = {label: await _discovery(label) for label in LABELS}
    every = set().union(*served.values())
    for gv in sorted(every):
        life = history.group_version(gv)
        having = [label for label in LABELS if gv in served[label]]
        assert life.first == having[0] and life.last == having[-1], gv
        after = LABELS.index(having[-1]) + 1
        assert life.removed_in == (LABELS[after] if after < len(LABELS) else None), gv


async def test_removed_group_version_shows_removed_in_and_replacement(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # the oldest embedded release (v1.31) still served it: the removal happened inside the embedded range
    assert FLOWCONTROL_BETA3 in await _discovery(OLDEST), f"{OLDEST} does not serve {FLOWCONTROL_BETA3}"
    history = await _history(app)
    life = history.group_version(FLOWCONTROL_BETA3)
    served = {label: await _discovery(label) for label in LABELS}
    gone = next(label for label in LABELS if FLOWCONTROL_BETA3 not in served[label])
    assert life.removed_in == gone
    assert life.replacement == "flowcontrol.apiserver.k8s.io/v1"
    # the server itself said so when its list was recorded
    warnings = await SnapshotSource(embedded_snapshots()[0]).list_warnings()
    said = parse_deprecation(warnings[f"/apis/{FLOWCONTROL_BETA3}/flowschemas"])
    assert said is not None and said.replacement == "flowcontrol.apiserver.k8s.io/v1 FlowSchema"
    assert said.unavailable_in == "v1.32" and life.deprecated_in == said.deprecated_in

    group = await page(client, f"/release/{OLDEST}/g/flowcontrol.apiserver.k8s.io")
    row = group.split('href="/release/' + OLDEST + '/g/flowcontrol.apiserver.k8s.io/v1beta3"', 1)[1]
    assert f"removed in {gone}" in row.split("</tr>", 1)[0]
    html = await page(client, f"/release/{OLDEST}/g/flowcontrol.apiserver.k8s.io/v1beta3")
    assert 'id="release-banner"' in html and f"Kubernetes {OLDEST}, as recorded" in html
    assert f'id="history-removed">removed in {gone}' in html
    assert 'href="/release/' + OLDEST + '/g/flowcontrol.apiserver.k8s.io/v1"' in html  # replacement link
    assert "is deprecated in" in html  # the server's warning, verbatim
    await page(client, "/g/flowcontrol.apiserver.k8s.io/v1beta3", 404)  # the live (newest) has none
    res = await page(client, f"/release/{OLDEST}/g/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas")
    assert f"removed in {gone}" in res and "flowcontrol.apiserver.k8s.io/v1 FlowSchema" in res

    diff = await page(client, f"/diff?old=release-{OLDEST}&new=release-{NEWEST}")
    section = diff.split('id="gv-removed"', 1)[1].split("</section>", 1)[0]
    assert FLOWCONTROL_BETA3 in section and f"removed in {gone}" in section
    assert f'href="/release/{OLDEST}/g/flowcontrol.apiserver.k8s.io/v1beta3"' in section


async def test_field_added_in_range_shows_since_and_changes(app: FastAPI, client: httpx.AsyncClient) -> None:
    history = await _history(app)
    oldest, newest = history.releases[0], history.releases[-1]
    added = sorted(
        (gvk, path)
        for gvk in oldest.fields.keys() & newest.fields.keys()
        if gvk.group == "apps" and gvk.version == "v1"
        for path in newest.fields[gvk].keys() - oldest.fields[gvk].keys()
    )
    assert added, "no apps/v1 field was added in the embedded range"
    gvk, path = added[0]
    life = history.field(gvk, path)
    assert life.added_in_range and life.first != OLDEST
    first = next(r for r in history.releases if path in r.fields.get(gvk, {}))
    assert life.first == first.label
    html = await page(client, f"/schema/{gvk.group}/{gvk.version}/{gvk.kind}/{path}")
    assert f'id="field-since">since {life.first}' in html
    assert "added" in html.split('id="field-changes"', 1)[1].split("</table>", 1)[0]
    # the release before it has the kind but not the field
    before = LABELS[LABELS.index(life.first) - 1]
    await page(client, f"/release/{before}/schema/{gvk.group}/{gvk.version}/{gvk.kind}/{path}", 404)


async def test_release_view_is_read_only(client: httpx.AsyncClient) -> None:
    html = await page(client, f"/release/{NEWEST}/op/apps/v1/createAppsV1NamespacedDeployment")
    assert 'id="try-it-release"' in html and 'id="try-it"' not in html
    assert f'href="/release/{NEWEST}/g/apps/v1' in html  # links stay in the release
    for method in ("POST", "PUT", "DELETE"):
        r = await client.request(method, f"/release/{NEWEST}/op/apps/v1/createAppsV1NamespacedDeployment")
        assert r.status_code in (403, 404, 405), (method, r.status_code)
    await page(client, "/release/v0.0.1/g/apps", 404)
    await page(client, f"/release/{NEWEST}/raw/apis", 404)
    picker = await page(client, "/g/apps/v1")
    assert 'id="release-picker"' in picker and f'href="/release/{NEWEST}/g/apps/v1"' in picker


async def test_diff_sides_are_every_release(client: httpx.AsyncClient) -> None:
    html = await page(client, "/diff?old=embedded&new=current")
    for label in LABELS:
        assert f'value="release-{label}"' in html
    assert 'id="diff-empty"' in html
    await page(client, "/diff?old=release-v9.9.9", 400)


async def test_upgrade_page_offline_says_it_needs_a_cluster(client: httpx.AsyncClient) -> None:
    html = await page(client, "/upgrade")
    assert 'id="upgrade-offline"' in html
    await page(client, "/upgrade?target=../../etc", 400)


async def test_an_unknown_release_view_says_what_exists(client: httpx.AsyncClient) -> None:
    """A release that is not embedded, or a page family a release view does not have, is a 404 page that
    says what a release view is, not only that nothing is there."""
    for path in ("/release/v9.9.9/g/apps", f"/release/{OLDEST}/raw/api"):
        page = await client.get(path)
        assert page.status_code == 404, path
        assert "A release view is /release/&lt;embedded release&gt;/" in page.text, page.text[-2000:]
    assert "A release view" not in (await client.get("/nothing-here")).text
