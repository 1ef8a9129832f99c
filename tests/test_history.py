"""The try-it history's data (tryout/history.py) and the answer panel that carries it, against the real
control plane: the shareable-link data of what was sent, with the answer's status, and nothing else — no
credential, no response body, no body at all for a Secret; the storage key names the user, not the token."""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any

from tests.tryout_helpers import explorer_app
from webexplorer.sandbox.controlplane import ADMIN_USER, ControlPlane
from webexplorer.tryout.history import history_key

HISTORY = re.compile(r'data-history="([^"]*)"')
KEY = re.compile(r'data-history-key="([0-9a-f]{32})"')


def entry(page: str) -> dict[str, Any]:
    found = HISTORY.search(page)
    assert found, "the answer panel carries no history entry"
    value: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return value


async def test_the_panel_carries_the_link_data_and_never_a_secrets_body(control_plane: ControlPlane) -> None:
    name = f"h-{uuid.uuid4().hex[:8]}"
    async with explorer_app(control_plane.kubeconfig) as ex:
        listed = await ex.send("listCoreV1NamespacedConfigMap", {"p.namespace": "default", "q.limit": "1"})
        got = entry(listed.text)
        assert set(got) == {"id", "method", "path", "operation", "status", "at", "write", "dry_run", "url"}
        assert (got["method"], got["status"], got["write"], got["dry_run"]) == ("GET", 200, False, False)
        assert got["path"] == "/api/v1/namespaces/default/configmaps?limit=1"
        assert got["url"].startswith("/try/core/v1/listCoreV1NamespacedConfigMap?")
        assert "p.namespace=default" in got["url"] and "q.limit=1" in got["url"]
        assert "csrf" not in got["url"] and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", got["at"])
        assert "ConfigMapList" not in json.dumps(got)  # no answer

        body = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n"
        made = entry(
            (await ex.send("createCoreV1NamespacedConfigMap", {"p.namespace": "default", "body": body})).text
        )
        assert (made["status"], made["write"], made["dry_run"]) == (201, True, True)
        assert "body=" in made["url"] and name in made["url"]  # an ordinary body is refilled

        secret = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\nstringData:\n  pw: {name}-pw\n"
        panel = await ex.send("createCoreV1NamespacedSecret", {"p.namespace": "default", "body": secret})
        kept = entry(panel.text)
        assert kept["status"] == 201 and kept["path"].startswith("/api/v1/namespaces/default/secrets?")
        assert "body=" not in kept["url"] and f"{name}-pw" not in json.dumps(kept)

        refused = await ex.send("readCoreV1NamespacedConfigMap", {"p.namespace": "..", "p.name": "x"})
        assert not HISTORY.search(refused.text)  # nothing was sent: nothing to remember

        key = KEY.search((await ex.client.get("/history")).text)
        # the static token file names the admin user "admin" with the uid "admin"
        assert key and key.group(1) == history_key(ADMIN_USER, ADMIN_USER)


def test_the_key_is_per_identity() -> None:
    assert history_key("alice") != history_key("bob")
    assert history_key("alice", "uid-1") != history_key("alice", "uid-2")
    assert history_key("alice") == history_key("alice") and len(history_key("alice")) == 32
