"""Find what you tried: the try-it history in real Chromium, against a real explorer and control plane.

A visitor signs in (``--identity token``) as a real service account, sends three requests (a list, a
dry-run create of a Secret, a read answered 404), and finds them on ``/history`` newest first, with
method, path, status, time and dry run; after a reload too. Each link refills its form. The browser's
storage holds no token, no answer and not the Secret's data, under a key derived from the user the API
server names (not the token). Signing out clears it; another identity on the same browser sees none of it.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.fixtures.browser import goto_enhanced, watch_page_errors
from tests.fixtures.cluster import ServiceAccount
from tests.fixtures.server import ExplorerProcess
from webexplorer.sandbox.controlplane import ControlPlane
from webexplorer.tryout.history import STORAGE_PREFIX, history_key

RULES = [
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
]


def sign_in(page: Page, explorer: ExplorerProcess, token: str) -> None:
    page.goto(f"{explorer.url}/signin")
    page.fill("#signin-token", token)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signout")).to_be_visible()


def storage(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(
        "() => Object.fromEntries(Object.keys(localStorage).map(k => [k, localStorage.getItem(k)]))"
    )
    return found


def send(page: Page, url: str, expected: str) -> None:
    goto_enhanced(page, url)
    page.click("#tryout-send")
    expect(page.locator("#tryout-code")).to_contain_text(expected)


def test_history_survives_a_reload_refills_forms_and_sign_out_clears_it(
    page: Page,
    explorer_factory: Callable[..., ExplorerProcess],
    control_plane: ControlPlane,
    service_account: Callable[..., ServiceAccount],
    artifacts_dir: Path,
) -> None:
    ns = f"hist-{uuid.uuid4().hex[:6]}"
    alice = service_account(namespace=ns, rules=RULES)
    bob = service_account(namespace=ns, rules=RULES)
    explorer = explorer_factory(
        [
            "--mode",
            "kubeconfig",
            "--kubeconfig",
            str(control_plane.kubeconfig),
            "--identity",
            "token",
            "--secret-key",
            secrets.token_hex(32),
        ]
    )
    problems = watch_page_errors(page)
    token = alice.request_token()
    sign_in(page, explorer, token)

    base = f"{explorer.url}/try/core/v1"
    secret_data = f"hush-{uuid.uuid4().hex}"
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    send(page, f"{base}/listCoreV1NamespacedConfigMap?p.namespace={ns}", "200 OK")
    goto_enhanced(page, f"{base}/createCoreV1NamespacedSecret?p.namespace={ns}")
    page.fill(
        "#try-body",
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: {secret_data}\n",
    )
    page.click("#tryout-send")
    expect(page.locator("#tryout-code")).to_contain_text("201")
    expect(page.locator("#tryout-dry-run-badge")).to_be_visible()
    send(page, f"{base}/readCoreV1NamespacedConfigMap?p.namespace={ns}&p.name={missing}", "404")

    # kept under the identity's key (from SelfSubjectReview), holding no token, answer or Secret data
    kept = storage(page)
    key = STORAGE_PREFIX + history_key(alice.username, alice.uid)
    assert list(k for k in kept if k.startswith(STORAGE_PREFIX)) == [key]
    text = json.dumps(kept)
    assert token not in text and token[:24] not in text and secret_data not in text
    assert '"kind":"ConfigMapList"' not in text and "resourceVersion" not in text

    page.goto(f"{explorer.url}/history")
    page.reload()  # survives a reload
    items = page.locator("#history-list li")
    expect(items).to_have_count(3)
    texts = items.all_inner_texts()
    assert f"/api/v1/namespaces/{ns}/configmaps/{missing}" in texts[0] and "404" in texts[0]
    assert "POST" in texts[1] and "secrets" in texts[1] and "201" in texts[1] and "dry run" in texts[1]
    assert "GET" in texts[2] and f"/api/v1/namespaces/{ns}/configmaps" in texts[2] and "200" in texts[2]
    assert all(page.locator("#history-list time").nth(i).get_attribute("datetime") for i in range(3))
    page.screenshot(path=str(artifacts_dir / "history.png"), full_page=True)

    # each entry is one click from its form, filled in again (the Secret's without its data)
    items.nth(0).locator("a").click()
    expect(page.locator("#try-p-name")).to_have_value(missing)
    expect(page.locator("#try-p-namespace")).to_have_value(ns)
    page.go_back()
    page.locator("#history-list li").nth(1).locator("a").click()
    expect(page.locator("#try-p-namespace")).to_have_value(ns)
    assert secret_data not in page.locator("#try-body").input_value()

    # sign-out clears it; another identity on this browser has a history of its own
    page.click("#signout")
    expect(page.locator("#signin-link")).to_be_visible()
    assert not [k for k in storage(page) if k.startswith(STORAGE_PREFIX)]
    sign_in(page, explorer, bob.request_token())
    page.goto(f"{explorer.url}/history")
    expect(page.locator("#tryout-history")).to_have_attribute("data-ready", "0")
    expect(page.locator("#history-list li")).to_have_count(0)
    send(page, f"{base}/listCoreV1NamespacedConfigMap?p.namespace={ns}", "200 OK")
    page.goto(f"{explorer.url}/history")
    expect(page.locator("#history-list li")).to_have_count(1)

    # the clear button empties it
    page.click("#history-clear")
    expect(page.locator("#history-list li")).to_have_count(0)
    expect(page.locator("#history-status")).to_contain_text("cleared")
    assert not [k for k in storage(page) if k.startswith(STORAGE_PREFIX)]
    assert problems == [], problems
